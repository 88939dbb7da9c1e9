package dev.pyro.internal.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.TransferResult;
import dev.pyro.internal.guest.Frame;
import dev.pyro.testsupport.TreeSnapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The export writer against a malicious guest: every stream below is what a compromised
 * agent could send; each must fail without writing anything outside the output (the whole
 * parent directory is compared) and without leaving a temporary behind.
 */
class ExportWriterTest {
    @TempDir
    Path tmp;
    Path out;
    Map<String, String> before;

    @BeforeEach
    void setUp() throws Exception {
        Files.createDirectories(tmp.resolve("victim"));
        Files.writeString(tmp.resolve("victim/file"), "precious");
        out = tmp.resolve("out");
        before = TreeSnapshot.of(tmp);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    interface Stream {
        void send(ExportWriter w) throws Exception;
    }

    void refused(Stream s, String message) {
        assertThatThrownBy(() -> {
            try (ExportWriter w = ExportWriter.create(out, ImportCaps.defaults(), n -> { })) {
                s.send(w);
                w.commit();
            }
        }).hasMessageContaining(message);
        assertThat(TreeSnapshot.of(tmp)).isEqualTo(before);
    }

    static void root(ExportWriter w) throws Exception {
        w.entry(Frame.KIND_DIRECTORY, new byte[0], 0755, 0, 0, new byte[0]);
    }

    @Test
    void hostileEntriesAreRefused() {
        refused(w -> {
            root(w);
            w.entry(Frame.KIND_FILE, b("../victim/file"), 0644, 0, 1, new byte[0]);
        }, "exported entry '../victim/file': '..' escapes the destination");
        refused(w -> {
            root(w);
            w.entry(Frame.KIND_FILE, b(tmp.resolve("victim/file").toString()), 0644, 0, 1, new byte[0]);
        }, "absolute name");
        refused(w -> {
            root(w);
            w.entry(Frame.KIND_SYMLINK, b("l"), 0, 0, 0, b(tmp.resolve("victim").toString()));
            w.entry(Frame.KIND_FILE, b("l/file"), 0644, 0, 1, new byte[0]);
        }, "symlink to an absolute path");
        refused(w -> {
            root(w);
            w.entry(Frame.KIND_SYMLINK, b("l"), 0, 0, 0, b("."));
            w.entry(Frame.KIND_FILE, b("l/x"), 0644, 0, 1, new byte[0]);
        }, "a parent in this export is not a directory");
        refused(w -> {
            root(w);
            w.entry(Frame.KIND_FILE, b("a"), 0644, 0, 0, new byte[0]);
            w.entry(Frame.KIND_FILE, b("a"), 0644, 0, 0, new byte[0]);
        }, "duplicate path");
        refused(w -> {
            root(w);
            w.entry(Frame.KIND_HARDLINK, b("h"), 0, 0, 0, b("../victim/file"));
        }, "hardlink target");
        refused(w -> {
            root(w);
            w.entry(5, b("dev"), 0666, 0, 0, new byte[0]);
        }, "unknown entry kind 5");
        refused(w -> w.entry(Frame.KIND_SYMLINK, new byte[0], 0, 0, 0, b("../victim")),
                "the exported path is a symlink");
        refused(w -> w.entry(Frame.KIND_HARDLINK, new byte[0], 0, 0, 0, b("x")), "a hardlink cannot be a root");
        refused(w -> {
            w.entry(Frame.KIND_FILE, new byte[0], 0644, 0, 10, new byte[0]);
            w.data(new byte[5], 0, 5);
        }, "ended 5 bytes early");
    }

    /**
     * The output is never a symlink, however harmless its target looks: a later {@code sync push}
     * of the output, or any tool, would follow it (to a sibling such as {@code .ssh}).
     */
    @Test
    void aSymlinkRootIsRefusedWhateverItPointsTo() {
        for (String target : new String[] {"victim", "victim/file", ".ssh", "x"}) {
            refused(w -> w.entry(Frame.KIND_SYMLINK, new byte[0], 0777, 0, 0, b(target)),
                    "exported root '" + out + "' -> '" + target + "': the exported path is a symlink, and an output "
                            + "is never a symlink");
            assertThat(Files.exists(out, java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
        }
    }

    /** Guest modes are masked on the host: no group or other write, no setuid, setgid or sticky bit. */
    @Test
    void worldWritableAndSetuidModesAreMasked() throws Exception {
        try (ExportWriter w = ExportWriter.create(out, ImportCaps.defaults(), n -> { })) {
            w.entry(Frame.KIND_DIRECTORY, new byte[0], 01777, 0, 0, new byte[0]);
            w.entry(Frame.KIND_DIRECTORY, b("open"), 0777, 0, 0, new byte[0]);
            w.entry(Frame.KIND_FILE, b("open/all"), 0777, 0, 1, new byte[0]);
            w.data(b("x"), 0, 1);
            w.entry(Frame.KIND_FILE, b("open/suid"), 06777, 0, 0, new byte[0]);
            w.entry(Frame.KIND_FILE, b("gw"), 0664, 0, 0, new byte[0]);
            w.entry(Frame.KIND_FILE, b("implied/f"), 0622, 0, 0, new byte[0]);
            w.commit();
        }
        assertThat(Files.getAttribute(out, "unix:mode")).isEqualTo(040755);
        assertThat(Files.getAttribute(out.resolve("open"), "unix:mode")).isEqualTo(040755);
        assertThat(Files.getAttribute(out.resolve("open/all"), "unix:mode")).isEqualTo(0100755);
        assertThat(Files.getAttribute(out.resolve("open/suid"), "unix:mode")).isEqualTo(0100755);
        assertThat(Files.getAttribute(out.resolve("gw"), "unix:mode")).isEqualTo(0100644);
        assertThat(Files.getAttribute(out.resolve("implied"), "unix:mode")).isEqualTo(040755);
        assertThat(Files.getAttribute(out.resolve("implied/f"), "unix:mode")).isEqualTo(0100600);
        // a single-file export too
        Path one = tmp.resolve("one");
        try (ExportWriter w = ExportWriter.create(one, ImportCaps.defaults(), n -> { })) {
            w.entry(Frame.KIND_FILE, new byte[0], 04777, 0, 0, new byte[0]);
            w.commit();
        }
        assertThat(Files.getAttribute(one, "unix:mode")).isEqualTo(0100755);
    }

    /**
     * The implied-directory bomb from a guest: 42 files whose 4,000-byte paths are 2,000 one-byte
     * components each. Refused at the first (too deep), nothing left; and a tree that is as deep
     * as allowed, with a long name at every level, refused only at its end, is cleaned up whole.
     */
    @Test
    void impliedDirectoryBombsFromAGuestLeaveNothingBehind() {
        refused(w -> {
            root(w);
            for (int i = 0; i < 42; i++) {
                w.entry(Frame.KIND_FILE, b("d" + i + "/a".repeat(1995) + "/f"), 0644, 0, 0, new byte[0]);
            }
        }, "more than 256 path components below /workspace");
        refused(w -> {
            root(w);
            String deep = ("x".repeat(14) + "/").repeat(255); // 255 directories, 3,825 bytes
            w.entry(Frame.KIND_FILE, b(deep + "f"), 0644, 0, 0, new byte[0]);
            for (int i = 0; i < 1000; i++) {
                w.entry(Frame.KIND_FILE, b(deep + "g" + i), 0644, 0, 0, new byte[0]);
            }
            w.entry(Frame.KIND_FILE, b("../escape"), 0644, 0, 0, new byte[0]);
        }, "'..' escapes the destination");
    }

    @Test
    void capsBoundWhatAGuestCanSend() {
        assertThatThrownBy(() -> {
            try (ExportWriter w = ExportWriter.create(out, new ImportCaps(3, 1 << 20), n -> { })) {
                root(w);
                for (int i = 0; i < 4; i++) {
                    w.entry(Frame.KIND_DIRECTORY, b("d" + i), 0755, 0, 0, new byte[0]);
                }
            }
        }).hasMessageContaining("exported entry 'd3': more than 3 entries");
        assertThat(TreeSnapshot.of(tmp)).isEqualTo(before);
    }

    @Test
    void anExistingOutputIsNeverTouched() throws Exception {
        Files.writeString(out, "mine");
        Map<String, String> withOut = TreeSnapshot.of(tmp);
        assertThatThrownBy(() -> ExportWriter.create(out, ImportCaps.defaults(), n -> { }))
                .hasMessage("output path " + out + " already exists; choose a path that does not exist (nothing was "
                        + "changed)");
        assertThat(TreeSnapshot.of(tmp)).isEqualTo(withOut);
        Files.delete(out);
        Files.createSymbolicLink(out, tmp.resolve("nowhere")); // a dangling symlink exists too
        Map<String, String> withLink = TreeSnapshot.of(tmp);
        assertThatThrownBy(() -> ExportWriter.create(out, ImportCaps.defaults(), n -> { }))
                .hasMessageContaining("already exists");
        assertThat(TreeSnapshot.of(tmp)).isEqualTo(withLink);
        assertThatThrownBy(() -> ExportWriter.create(tmp.resolve("no/such/dir/out"), ImportCaps.defaults(), n -> { }))
                .hasMessageContaining("does not exist; create it first");
    }

    @Test
    void anOutputThatAppearsMeanwhileIsNotReplaced() throws Exception {
        ExportWriter w = ExportWriter.create(out, ImportCaps.defaults(), n -> { });
        root(w);
        w.entry(Frame.KIND_FILE, b("a"), 0600, 0, 1, new byte[0]);
        w.data(new byte[] {1}, 0, 1);
        Files.writeString(out, "someone else's");
        assertThatThrownBy(w::commit).hasMessageContaining("appeared while the export ran");
        w.close();
        assertThat(Files.readString(out)).isEqualTo("someone else's");
        try (var list = Files.list(tmp)) {
            assertThat(list.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("victim", "out");
        }
    }

    @Test
    void modesAreKeptWithoutSetuidAndReadOnlyDirectoriesStillGetTheirContents() throws Exception {
        try (ExportWriter w = ExportWriter.create(out, ImportCaps.defaults(), n -> { })) {
            w.entry(Frame.KIND_DIRECTORY, new byte[0], 02755, 0, 0, new byte[0]);
            w.entry(Frame.KIND_DIRECTORY, b("ro"), 0555, 1_000_000_000L, 0, new byte[0]);
            w.entry(Frame.KIND_FILE, b("ro/tool"), 04755, 2_000_000_000L, 3, new byte[0]);
            w.data(b("abc"), 0, 3);
            w.entry(Frame.KIND_SYMLINK, b("ro/l"), 0, 0, 0, b("tool"));
            assertThat(w.commit()).isEqualTo(TransferResult.ArtifactType.DIRECTORY);
        }
        assertThat(Files.getAttribute(out, "unix:mode")).isEqualTo(040755);
        assertThat(Files.getAttribute(out.resolve("ro"), "unix:mode")).isEqualTo(040555);
        assertThat(Files.getAttribute(out.resolve("ro/tool"), "unix:mode")).isEqualTo(0100755);
        assertThat(Files.readString(out.resolve("ro/tool"))).isEqualTo("abc");
        assertThat(Files.getLastModifiedTime(out.resolve("ro")).toMillis()).isEqualTo(1000);
        assertThat(Files.readSymbolicLink(out.resolve("ro/l")).toString()).isEqualTo("tool");
    }

    /**
     * Placement is atomic: of several exports racing for one output, exactly one gets it and
     * the others fail (check-then-rename would let a later one silently replace an earlier one).
     */
    @Test
    void racingPlacementsNeverReplaceEachOther() throws Exception {
        int threads = 4;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 300; round++) {
                Path target = tmp.resolve("race-" + round);
                java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
                java.util.List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
                for (int i = 0; i < threads; i++) {
                    Path temp = tmp.resolve(".race-" + round + "-" + i);
                    Files.writeString(temp, "writer " + i);
                    results.add(pool.submit(() -> {
                        start.await();
                        try {
                            ExportWriter.placeWithoutReplacing(temp, target, false);
                            return true;
                        } catch (java.nio.file.FileAlreadyExistsException e) {
                            Files.delete(temp);
                            return false;
                        }
                    }));
                }
                int placed = 0;
                for (var r : results) {
                    placed += r.get() ? 1 : 0;
                }
                assertThat(placed).as("round " + round + ": exports that placed their output").isEqualTo(1);
                Files.delete(target);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void placementRefusesAnythingInTheWayWithoutFollowingIt() throws Exception {
        Path temp = tmp.resolve(".t");
        Files.writeString(temp, "new");
        Files.createSymbolicLink(out, tmp.resolve("victim/file"));
        assertThatThrownBy(() -> ExportWriter.placeWithoutReplacing(temp, out, false))
                .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        assertThat(Files.readString(tmp.resolve("victim/file"))).isEqualTo("precious");
        Files.delete(out);
        Path dir = tmp.resolve(".d");
        Files.createDirectory(dir);
        Files.createDirectory(out); // an empty directory: rename(2) alone would replace it
        assertThatThrownBy(() -> ExportWriter.placeWithoutReplacing(dir, out, true))
                .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        assertThat(Files.isDirectory(dir)).isTrue();
        Files.delete(out);
        ExportWriter.placeWithoutReplacing(dir, out, true);
        ExportWriter.placeWithoutReplacing(temp, out.resolve("f"), false);
        assertThat(Files.readString(out.resolve("f"))).isEqualTo("new");
        assertThat(Files.exists(dir)).isFalse();
        assertThat(Files.exists(temp)).isFalse();
    }
}
