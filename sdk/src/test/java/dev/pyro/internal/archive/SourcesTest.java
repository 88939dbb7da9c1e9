package dev.pyro.internal.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.PyroException;
import dev.pyro.testsupport.TarBuilder;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Source detection, the tar reader's name handling, and the directory walker's refusals. */
class SourcesTest {
    @TempDir
    Path tmp;

    @Test
    void typesAreRecognizedByContent() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("dir"));
        assertThat(SourceSpec.inspect(dir, "seed path").kind()).isEqualTo(SourceSpec.Kind.DIRECTORY);
        byte[] tar = new TarBuilder().file("a", "a").tar();
        Files.write(tmp.resolve("a.tar"), tar);
        assertThat(SourceSpec.inspect(tmp.resolve("a.tar"), "seed path").kind()).isEqualTo(SourceSpec.Kind.TAR);
        // a .tgz that is really a plain tar, and a .tar that is really gzip: content decides
        Files.write(tmp.resolve("plain.tgz"), tar);
        assertThat(SourceSpec.inspect(tmp.resolve("plain.tgz"), "seed path").kind()).isEqualTo(SourceSpec.Kind.TAR);
        new TarBuilder().file("a", "a").writeTgz(tmp.resolve("gz.tar"));
        assertThat(SourceSpec.inspect(tmp.resolve("gz.tar"), "seed path").kind()).isEqualTo(SourceSpec.Kind.TAR_GZ);
        // GNU tar's empty archive (only zero blocks)
        Files.write(tmp.resolve("empty.tar"), new byte[10240]);
        assertThat(SourceSpec.inspect(tmp.resolve("empty.tar"), "seed path").kind()).isEqualTo(SourceSpec.Kind.TAR);
    }

    @Test
    void badSourcesGetOneLineErrors() throws Exception {
        assertThatThrownBy(() -> SourceSpec.inspect(tmp.resolve("missing"), "seed path"))
                .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.kind())
                        .isEqualTo(PyroException.Kind.NOT_FOUND))
                .hasMessage("seed path " + tmp.resolve("missing") + " does not exist; use a directory, .tar, .tar.gz "
                        + "or .tgz that exists");
        Files.write(tmp.resolve("x.zip"), new byte[] {0x50, 0x4B, 0x03, 0x04, 1, 2, 3});
        assertThatThrownBy(() -> SourceSpec.inspect(tmp.resolve("x.zip"), "seed path"))
                .hasMessage("unsupported archive type (zip): " + tmp.resolve("x.zip") + "; use a directory, .tar, "
                        + ".tar.gz or .tgz");
        Files.write(tmp.resolve("x.tar.xz"), new byte[] {(byte) 0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0});
        assertThatThrownBy(() -> SourceSpec.inspect(tmp.resolve("x.tar.xz"), "seed path"))
                .hasMessageStartingWith("unsupported archive type (xz)");
        Files.writeString(tmp.resolve("notes.txt"), "just text\n".repeat(100));
        assertThatThrownBy(() -> SourceSpec.inspect(tmp.resolve("notes.txt"), "sync source"))
                .hasMessageContaining("sync source " + tmp.resolve("notes.txt") + " is neither a directory nor a tar "
                        + "archive");
        Files.write(tmp.resolve("empty"), new byte[0]);
        assertThatThrownBy(() -> SourceSpec.inspect(tmp.resolve("empty"), "seed path"))
                .hasMessageContaining("is an empty file, not a tar archive");
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (OutputStream o = new GzipCompressorOutputStream(gz)) {
            o.write("hello, not a tar".repeat(100).getBytes());
        }
        Files.write(tmp.resolve("text.gz"), gz.toByteArray());
        assertThatThrownBy(() -> SourceSpec.inspect(tmp.resolve("text.gz"), "seed path"))
                .hasMessageContaining("is gzip-compressed but holds no tar archive");
        Files.createSymbolicLink(tmp.resolve("dangling"), tmp.resolve("nowhere"));
        assertThatThrownBy(() -> SourceSpec.inspect(tmp.resolve("dangling"), "seed path"))
                .hasMessageContaining("is a broken symlink");
        mkfifo(tmp.resolve("fifo"));
        assertThatThrownBy(() -> SourceSpec.inspect(tmp.resolve("fifo"), "seed path"))
                .hasMessageContaining("is neither a directory nor a regular file");
    }

    static void mkfifo(Path p) throws Exception {
        Process mk = new ProcessBuilder("mkfifo", p.toString()).start();
        assertThat(mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0).isTrue();
    }

    static List<Entry> entries(EntrySource s) {
        List<Entry> out = new ArrayList<>();
        try (s) {
            Entry e;
            while ((e = s.next()) != null) {
                out.add(e);
            }
        }
        return out;
    }

    @Test
    void tarNamesAreNormalizedAndKeptAsRawBytes() throws Exception {
        String longName = "d/" + "n".repeat(150) + "/f";
        byte[] latin1 = {'c', 'a', 'f', (byte) 0xe9}; // "café" in Latin-1: not UTF-8
        for (int mode : new int[] {TarArchiveOutputStream.LONGFILE_GNU, TarArchiveOutputStream.LONGFILE_POSIX}) {
            Path tar = new TarBuilder(mode).dir("./", 0755).dir("./d", 0700).file("./d//x", "x")
                    .file(longName, "long").file(new String(latin1, StandardCharsets.ISO_8859_1), "raw")
                    .symlink("l", "d/./x").writeTar(tmp.resolve("names-" + mode + ".tar"));
            List<Entry> es = entries(TarSource.open(tar, false));
            assertThat(es).extracting(Entry::displayPath).containsExactly("d", "d/x", longName, "caf\\xE9", "l");
            assertThat(es.get(0).mode()).isEqualTo(0700);
            assertThat(es.get(3).path()).isEqualTo(latin1);
            assertThat(new String(es.get(4).target(), StandardCharsets.UTF_8)).isEqualTo("d/./x"); // content as is
        }
    }

    @Test
    void gnuTarPaxNonUtf8NamesSurvive() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("src"));
        byte[] raw = {'x', (byte) 0xff, (byte) 0xfe, '.', 'b', 'i', 'n'};
        Files.writeString(dir.resolve(RawNames.component(raw)), "raw");
        Files.writeString(dir.resolve("日本語-" + "長".repeat(60)), "long unicode"); // > 100 bytes: a PAX path
        Path tar = tmp.resolve("pax.tar");
        Process p = new ProcessBuilder("tar", "--format=pax", "-C", dir.toString(), "-cf", tar.toString(), ".")
                .redirectErrorStream(true).start();
        assertThat(p.waitFor()).as(new String(p.getInputStream().readAllBytes())).isZero();
        List<Entry> es = entries(TarSource.open(tar, false));
        assertThat(es).extracting(e -> List.of(e.path())).isNotEmpty();
        assertThat(es.stream().map(Entry::path)).anySatisfy(n -> assertThat(n).isEqualTo(raw));
        assertThat(es.stream().map(Entry::displayPath)).contains("日本語-" + "長".repeat(60));
    }

    @Test
    void sparseFilesFromGnuTarAreExpanded() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("sparse"));
        try (var ch = java.nio.channels.FileChannel.open(dir.resolve("holes"), java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap("start".getBytes()), 0);
            ch.write(java.nio.ByteBuffer.wrap("middle".getBytes()), 3_000_000);
            ch.write(java.nio.ByteBuffer.wrap("end".getBytes()), 9_999_997);
        }
        for (String format : new String[] {"gnu", "pax"}) {
            Path tar = tmp.resolve("sparse-" + format + ".tar");
            Process p = new ProcessBuilder("tar", "--sparse", "--format=" + format, "-C", dir.toString(), "-cf",
                    tar.toString(), "holes").redirectErrorStream(true).start();
            assertThat(p.waitFor()).as(new String(p.getInputStream().readAllBytes())).isZero();
            assertThat(Files.size(tar)).as("really sparse in the archive").isLessThan(100_000);
            Path ws = Files.createDirectories(tmp.resolve("ws-" + format));
            TransferStats s = Transfers.seed(Transfers.host(ws), tar, ImportCaps.defaults(),
                    dev.pyro.ProgressListener.NONE);
            assertThat(s.bytes()).isEqualTo(10_000_000);
            assertThat(dev.pyro.testsupport.TreeSnapshot.sha256(ws.resolve("holes")))
                    .isEqualTo(dev.pyro.testsupport.TreeSnapshot.sha256(dir.resolve("holes")));
        }
    }

    @Test
    void directoryWalkerRefusesSpecialFilesNamingThem() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("src/sub"));
        Files.writeString(dir.resolve("ok"), "ok");
        mkfifo(dir.resolve("fifo"));
        assertThatThrownBy(() -> entries(DirectorySource.contentsOf(tmp.resolve("src"), "seed directory entry")))
                .isInstanceOf(EntryRejectedException.class)
                .hasMessage("seed directory entry 'sub/fifo': a fifo cannot be imported (only files, directories and "
                        + "symlinks); nothing was imported (remove it, or seed from a copy without it)");
    }

    @Test
    void directoryWalkerOrderAndKinds() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("w"));
        Files.createDirectories(dir.resolve("b/empty"));
        Files.writeString(dir.resolve("a"), "a");
        Files.writeString(dir.resolve("b/c"), "c");
        Files.createLink(dir.resolve("b/d"), dir.resolve("a"));
        Files.createSymbolicLink(dir.resolve("z"), Path.of("b/c"));
        List<Entry> es = entries(DirectorySource.contentsOf(dir, "x"));
        assertThat(es).extracting(Entry::toString).containsExactly("file 'a' (1 bytes)", "directory 'b'",
                "file 'b/c' (1 bytes)", "hardlink 'b/d' -> 'a'", "directory 'b/empty'", "symlink 'z' -> 'b/c'");
    }
}
