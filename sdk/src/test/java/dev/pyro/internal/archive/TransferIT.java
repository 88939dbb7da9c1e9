package dev.pyro.internal.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.Accel;
import dev.pyro.OutputListener;
import dev.pyro.ProgressListener;
import dev.pyro.PyroException;
import dev.pyro.internal.engine.VmSpec;
import dev.pyro.internal.engine.qemu.QemuBinary;
import dev.pyro.internal.engine.qemu.QemuCommandLine;
import dev.pyro.internal.engine.qemu.QemuEngine;
import dev.pyro.internal.engine.qemu.QemuVm;
import dev.pyro.internal.guest.ExecRequest;
import dev.pyro.internal.guest.ExecResult;
import dev.pyro.internal.guest.Frame;
import dev.pyro.internal.guest.GuestClient;
import dev.pyro.internal.guest.GuestImport;
import dev.pyro.internal.guest.HelloInfo;
import dev.pyro.internal.guest.TransferFailedException;
import dev.pyro.testsupport.GuestImages;
import dev.pyro.testsupport.HostileArchives;
import dev.pyro.testsupport.SampleTree;
import dev.pyro.testsupport.TarBuilder;
import dev.pyro.testsupport.TreeSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * File transfers with real VMs (QEMU TCG, the pipeline's kernel and image, a writable ext4
 * disk as the overlay's upper layer so /workspace is on disk): the 1,000-file seed compared
 * inside the guest ({@code find -printf} and {@code sha256sum}), the three tar formats, the
 * hostile corpus with /workspace unchanged, syncs that fail midway (a rule after 500 good
 * entries, a cap after 20 MB, the agent's own rules, a failing apply) leaving /workspace
 * byte-identical, and a symlink already in the workspace never written through.
 */
@Timeout(value = 900, unit = TimeUnit.SECONDS)
class TransferIT {
    @TempDir
    static Path tmp;
    static QemuEngine engine;
    static QemuVm vm;
    static Path src;
    static SampleTree.Stats stats;

    @BeforeAll
    static void boot() throws Exception {
        engine = new QemuEngine(QemuBinary.locate());
        src = tmp.resolve("src");
        stats = SampleTree.create(src, 1000, 7);
        vm = bootWithDisk("tr1", engine);
    }

    @AfterAll
    static void stop() {
        if (vm != null) {
            vm.shutdown(Duration.ofSeconds(30));
            vm.close();
        }
    }

    static QemuVm bootWithDisk(String id, QemuEngine e) throws Exception {
        Path disk = tmp.resolve(id + ".ext4");
        Process p = new ProcessBuilder("mke2fs", "-q", "-F", "-t", "ext4", disk.toString(), "2G")
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).isZero();
        VmSpec spec = new VmSpec(id, tmp.resolve(id), GuestImages.kernel(), GuestImages.rootImage(), Optional.of(disk),
                1, 512, Accel.TCG, true, Duration.ofMinutes(30), Duration.ofSeconds(90));
        QemuVm booted = e.boot(spec, ProgressListener.NONE);
        assertThat(booted.hello().has(HelloInfo.FEATURE_TRANSFER)).as("the agent has transfers").isTrue();
        assertThat(booted.hello().has(HelloInfo.FEATURE_UPPER_DISK)).as("/workspace is on the disk").isTrue();
        return booted;
    }

    static byte[] exec(QemuVm v, String script) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ExecResult r = v.guest().exec(ExecRequest.of("sh", "-c", script).withTimeout(Duration.ofSeconds(300)),
                new OutputListener() {
                    @Override
                    public void onStdout(byte[] d, int o, int l) {
                        out.write(d, o, l);
                    }

                    @Override
                    public void onStderr(byte[] d, int o, int l) {
                        err.write(d, o, l);
                    }
                });
        assertThat(r.exitCode()).as("%s: %s", script, err.toString(StandardCharsets.UTF_8)).isZero();
        return out.toByteArray();
    }

    // ---- listings: the same text for a guest directory (find/sha256sum) and a host one

    /**
     * path -> "type mode size-or-target [mtime] [sha256]" for everything below {@code dir} in the
     * guest; paths are hex when not printable ASCII. Directory sizes are left out (they depend on
     * the filesystem).
     */
    static Map<String, String> guestListing(QemuVm v, String dir, boolean times) throws Exception {
        byte[] raw = exec(v, "cd '" + dir + "' && find . -mindepth 1 -printf '%y %m %s %T@\\0%P\\0%l\\0'");
        Map<String, String> out = new TreeMap<>();
        List<byte[]> fields = splitNul(raw);
        for (int i = 0; i + 2 < fields.size(); i += 3) {
            String[] meta = new String(fields.get(i), StandardCharsets.US_ASCII).split(" ");
            String path = show(fields.get(i + 1));
            String type = meta[0];
            StringBuilder s = new StringBuilder(type).append(' ').append(meta[1]);
            if (type.equals("f")) {
                s.append(' ').append(meta[2]);
            } else if (type.equals("l")) {
                s.append(" -> ").append(show(fields.get(i + 2)));
            }
            if (times && !type.equals("l")) {
                s.append(" @").append(guestNanos(meta[3]));
            }
            out.put(path, s.toString());
        }
        byte[] sums = exec(v, "cd '" + dir + "' && find . -type f -print0 | xargs -0 -r sha256sum -z");
        for (byte[] line : splitNul(sums)) {
            String hash = new String(line, 0, 64, StandardCharsets.US_ASCII);
            byte[] name = java.util.Arrays.copyOfRange(line, 66 + 2, line.length); // "HASH  ./name"
            out.computeIfPresent(show(name), (k, val) -> val + " " + hash);
        }
        return out;
    }

    static long guestNanos(String t) {
        String[] parts = t.split("\\.");
        String frac = (parts.length > 1 ? parts[1] : "") + "000000000";
        return Long.parseLong(parts[0]) * 1_000_000_000L + Long.parseLong(frac.substring(0, 9));
    }

    static Map<String, String> hostListing(Path dir, boolean times) throws IOException {
        Map<String, String> out = new TreeMap<>();
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                if (!d.equals(dir)) {
                    add(d, a);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                add(f, a);
                return FileVisitResult.CONTINUE;
            }

            private void add(Path p, BasicFileAttributes a) throws IOException {
                int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
                String type = a.isDirectory() ? "d" : a.isSymbolicLink() ? "l" : "f";
                StringBuilder s = new StringBuilder(type).append(' ').append(Integer.toOctalString(mode));
                if (type.equals("f")) {
                    s.append(' ').append(a.size());
                } else if (type.equals("l")) {
                    s.append(" -> ").append(show(RawNames.linkBytes(Files.readSymbolicLink(p))));
                }
                if (times && !type.equals("l")) {
                    s.append(" @").append(DirectorySource.nanos(a.lastModifiedTime()));
                }
                if (type.equals("f")) {
                    s.append(' ').append(TreeSnapshot.sha256(p));
                }
                byte[] rel = relBytes(dir, p);
                out.put(show(rel), s.toString());
            }
        });
        return out;
    }

    static byte[] relBytes(Path dir, Path p) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Path n : dir.relativize(p)) {
            if (b.size() > 0) {
                b.write('/');
            }
            b.writeBytes(RawNames.bytes(n));
        }
        return b.toByteArray();
    }

    static String show(byte[] name) {
        for (byte c : name) {
            if (c < 0x20 || c > 0x7e) {
                return "hex:" + HexFormat.of().formatHex(name);
            }
        }
        return new String(name, StandardCharsets.US_ASCII);
    }

    static List<byte[]> splitNul(byte[] raw) {
        List<byte[]> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == 0) {
                out.add(java.util.Arrays.copyOfRange(raw, start, i));
                start = i + 1;
            }
        }
        return out;
    }

    static Map<String, String> diff(Map<String, String> actual, Map<String, String> expected) {
        return RoundTripTest.diff(actual, expected);
    }

    // ---- the tests

    @Test
    void aThousandFileSeedMatchesInsideTheGuestAndExportsBack() throws Exception {
        QemuVm fresh = bootWithDisk("tr-seed", engine);
        try {
            WorkspaceFiles files = Transfers.guest(fresh.guest());
            TransferStats seeded = Transfers.seed(files, src, ImportCaps.defaults(), ProgressListener.NONE);
            System.err.printf("seed of %d entries, %d bytes: %d ms (%.1f MB/s)%n", seeded.entries(), seeded.bytes(),
                    seeded.elapsed().toMillis(), seeded.megabytesPerSecond());
            assertThat(seeded.bytes()).isEqualTo(stats.bytes());
            Map<String, String> guest = guestListing(fresh, "/workspace", true);
            Map<String, String> host = hostListing(src, true);
            assertThat(guest).hasSizeGreaterThan(1050);
            assertThat(diff(guest, host)).isEmpty();
            String inodes = new String(exec(fresh, "stat -c %i /workspace/links/hard-a /workspace/links/hard-b"),
                    StandardCharsets.US_ASCII);
            assertThat(inodes.lines().distinct()).hasSize(1);
            // export back to the host and compare again
            Path out = tmp.resolve("exported");
            Transfers.export(files, "/workspace", out, ImportCaps.defaults(), ProgressListener.NONE);
            assertThat(diff(hostListing(out, true), host)).isEmpty();
        } finally {
            fresh.shutdown(Duration.ofSeconds(30));
            fresh.close();
        }
    }

    @Test
    void theThreeTarFormats() throws Exception {
        Path small = tmp.resolve("small");
        SampleTree.create(small, 200, 9);
        Map<String, String> hostTimes = hostListing(small, true);
        Map<String, String> host = hostListing(small, false);
        String[][] formats = {{"t.tar", "--format=gnu", "-cf"}, {"t.tar.gz", "--format=pax", "-czf"},
                {"t.tgz", "--format=gnu", "-czf"}};
        for (String[] f : formats) {
            Path archive = tmp.resolve(f[0]);
            Process p = new ProcessBuilder("tar", "--sort=name", "-C", small.toString(), f[1], f[2],
                    archive.toString(), ".").redirectErrorStream(true).start();
            assertThat(p.waitFor()).as(new String(p.getInputStream().readAllBytes())).isZero();
            String dest = "/workspace/" + f[0].replace('.', '-');
            TransferStats pushed = Transfers.push(Transfers.guest(vm.guest()), archive, dest, ImportCaps.defaults(),
                    ProgressListener.NONE);
            assertThat(pushed.artifactType()).isEqualTo(dev.pyro.TransferResult.ArtifactType.TAR_ARCHIVE);
            boolean pax = f[1].equals("--format=pax");
            assertThat(diff(guestListing(vm, dest, pax), pax ? hostTimes : host)).as(f[0]).isEmpty();
        }
    }

    @Test
    void hostileArchivesAreRejectedAndTheWorkspaceIsUnchanged() throws Exception {
        exec(vm, "mkdir -p /workspace/h/sub && echo keep > /workspace/h/sub/keep.txt && echo a > /workspace/h/a");
        Path outside = tmp.resolve("outside-guest");
        List<HostileArchives.Case> cases = HostileArchives.build(tmp.resolve("corpus"), outside);
        Map<String, String> before = guestListing(vm, "/workspace", true);
        String rootBefore = new String(exec(vm, "ls -a / | sha256sum; cat /etc/passwd | sha256sum"));
        for (HostileArchives.Case c : cases) {
            for (String dest : new String[] {"/workspace", "/workspace/h"}) {
                assertThatThrownBy(() -> Transfers.push(Transfers.guest(vm.guest()), c.archive(), dest, c.caps(),
                        ProgressListener.NONE)).as(c.name()).isInstanceOfSatisfying(PyroException.class, e -> {
                            assertThat(e.kind()).isEqualTo(PyroException.Kind.INVALID_ARGUMENT);
                            assertThat(e.getMessage()).contains(c.rule());
                        });
            }
        }
        // The agent's own rules, without the host's (a test-only path).
        for (HostileArchives.Case c : cases) {
            if (c.hostOnly()) {
                continue;
            }
            GuestImport imp = vm.guest().startImport("/workspace/h", c.caps().maxEntries(), c.caps().maxBytes());
            try {
                assertThatThrownBy(() -> {
                    HostileArchiveTest.sendUnchecked(c.archive(), imp);
                    imp.finish(Duration.ofSeconds(60));
                }).as(c.name()).isInstanceOfSatisfying(TransferFailedException.class,
                        e -> assertThat(e.code()).isIn(Frame.Error.REJECTED, Frame.Error.LIMIT));
            } finally {
                imp.close();
            }
        }
        assertThat(diff(guestListing(vm, "/workspace", true), before)).isEmpty();
        assertThat(new String(exec(vm, "ls -a / | sha256sum; cat /etc/passwd | sha256sum"))).isEqualTo(rootBefore);
        assertThat(exec(vm, "test ! -e /evil && test ! -e '" + outside + "' && test ! -e /.pyro-sync/* && echo ok"))
                .isEqualTo("ok\n".getBytes());
    }

    @Test
    void syncsThatFailMidwayLeaveTheWorkspaceByteIdentical() throws Exception {
        Path app = tmp.resolve("app");
        Files.createDirectories(app.resolve("src"));
        for (int i = 0; i < 600; i++) {
            Files.writeString(app.resolve("src/f" + i + ".txt"), "original " + i);
        }
        GuestClient guest = vm.guest();
        Transfers.push(Transfers.guest(guest), app, "/workspace/app", ImportCaps.defaults(), ProgressListener.NONE);
        Map<String, String> before = guestListing(vm, "/workspace", true);

        // 1: a rule violation after 500 good entries that would replace files
        TarBuilder bad = new TarBuilder().dir("src", 0755);
        for (int i = 0; i < 500; i++) {
            bad.file("src/f" + i + ".txt", "replaced " + i);
        }
        bad.file("src/../../escape", "x");
        Path badTar = bad.writeTar(tmp.resolve("bad500.tar"));
        assertThatThrownBy(() -> Transfers.push(Transfers.guest(guest), badTar, "/workspace/app", ImportCaps.defaults(),
                ProgressListener.NONE)).hasMessageContaining("archive entry 'src/../../escape'");
        assertThat(diff(guestListing(vm, "/workspace", true), before)).isEmpty();

        // 2: a cap exceeded after 20 MB
        TarBuilder big = new TarBuilder();
        for (int i = 0; i < 30; i++) {
            big.file("src/chunk" + i, 0644, new byte[1 << 20]);
        }
        Path bigTar = big.writeTar(tmp.resolve("big.tar"));
        assertThatThrownBy(() -> Transfers.push(Transfers.guest(guest), bigTar, "/workspace/app",
                new ImportCaps(10_000, 20L << 20), ProgressListener.NONE)).hasMessageContaining("more than 20971520 bytes");
        assertThat(diff(guestListing(vm, "/workspace", true), before)).isEmpty();

        // 3: the same 500 + 1 stream with the host rules bypassed: the agent rejects it
        GuestImport imp = guest.startImport("/workspace/app", 0, 0);
        try {
            assertThatThrownBy(() -> {
                HostileArchiveTest.sendUnchecked(badTar, imp);
                imp.finish(Duration.ofSeconds(60));
            }).isInstanceOfSatisfying(TransferFailedException.class,
                    e -> assertThat(e.code()).isEqualTo(Frame.Error.REJECTED));
        } finally {
            imp.close();
        }
        assertThat(diff(guestListing(vm, "/workspace", true), before)).isEmpty();
        assertThat(exec(vm, "ls -A /.pyro-sync 2>/dev/null | wc -l")).isEqualTo("0\n".getBytes());
    }

    @Test
    void aFailingApplyInTheVmIsRolledBack() throws Exception {
        QemuEngine failing = new QemuEngine(QemuBinary.locate(), new QemuCommandLine.Tuning(true,
                QemuCommandLine.Tuning.TCG_CPU, 0, List.of("pyro.test.fail_apply=9")), GuestClient.DEFAULT_EXEC_GRACE);
        QemuVm v = bootWithDisk("tr-fail", failing);
        try {
            exec(v, "mkdir -p /workspace/app/src && for i in $(seq 0 19); do echo old $i > /workspace/app/src/f$i; done");
            Map<String, String> before = guestListing(v, "/workspace", true);
            Path push = tmp.resolve("push-fail");
            Files.createDirectories(push.resolve("src"));
            for (int i = 0; i < 30; i++) {
                Files.writeString(push.resolve("src/f" + i), "new " + i);
            }
            assertThatThrownBy(() -> Transfers.push(Transfers.guest(v.guest()), push, "/workspace/app",
                    ImportCaps.defaults(), ProgressListener.NONE)).isInstanceOfSatisfying(TransferFailedException.class,
                            e -> assertThat(e.code()).isEqualTo(Frame.Error.IO));
            assertThat(diff(guestListing(v, "/workspace", true), before)).isEmpty();
        } finally {
            v.shutdown(Duration.ofSeconds(30));
            v.close();
        }
    }

    @Test
    void aSymlinkAlreadyInTheWorkspaceIsNeverWrittenThrough() throws Exception {
        exec(vm, "mkdir -p /workspace/sl && ln -sfn /etc /workspace/sl/s && ln -sfn .. /workspace/sl/up");
        String etc = new String(exec(vm, "find /etc -maxdepth 1 | sort | sha256sum; sha256sum /etc/passwd"));
        Map<String, String> before = guestListing(vm, "/workspace", true);
        Path tar = new TarBuilder().dir("s", 0755).file("s/passwd", "pwned").writeTar(tmp.resolve("s.tar"));
        Path tarUp = new TarBuilder().file("up/pwned", "pwned").writeTar(tmp.resolve("up.tar"));
        assertThatThrownBy(() -> Transfers.push(Transfers.guest(vm.guest()), tar, "/workspace/sl",
                ImportCaps.defaults(), ProgressListener.NONE)).hasMessageContaining("conflict at /workspace/sl/s");
        assertThatThrownBy(() -> Transfers.push(Transfers.guest(vm.guest()), tarUp, "/workspace/sl",
                ImportCaps.defaults(), ProgressListener.NONE)).hasMessageContaining("conflict at /workspace/sl/up");
        assertThatThrownBy(() -> Transfers.push(Transfers.guest(vm.guest()), tarUp, "/workspace/sl/s",
                ImportCaps.defaults(), ProgressListener.NONE)).hasMessageContaining("is a symlink");
        assertThat(new String(exec(vm, "find /etc -maxdepth 1 | sort | sha256sum; sha256sum /etc/passwd")))
                .isEqualTo(etc);
        assertThat(diff(guestListing(vm, "/workspace", true), before)).isEmpty();
        assertThat(exec(vm, "test ! -e /workspace/pwned && echo ok")).isEqualTo("ok\n".getBytes());
    }
}
