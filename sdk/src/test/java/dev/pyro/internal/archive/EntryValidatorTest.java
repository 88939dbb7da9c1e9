package dev.pyro.internal.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.PyroException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EntryValidatorTest {
    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    EntryValidator v = new EntryValidator("archive entry", "nothing was imported", "", new ImportCaps(10, 1000));

    @Test
    void acceptsAndSanitizes() {
        Entry dir = v.accept(Entry.directory(b("d"), 02775, 5));
        assertThat(dir.mode()).isEqualTo(0775);
        Entry file = v.accept(Entry.file(b("d/f"), 04755, -7, 10));
        assertThat(file.mode()).isEqualTo(0755);
        assertThat(file.mtimeNs()).isZero();
        Entry link = v.accept(new Entry(EntryKind.SYMLINK, b("d/l"), 0777, 9, 0, b("f")));
        assertThat(link.mode()).isZero();
        assertThat(v.accept(Entry.hardlink(b("h"), b("d/f"))).mtimeNs()).isZero();
        assertThat(v.entries()).isEqualTo(4);
        assertThat(v.bytes()).isEqualTo(10);
        // implicit parents are directories; naming one later only sets its mode
        v.accept(Entry.file(b("x/y/z"), 0644, 0, 0));
        v.accept(Entry.directory(b("x/y"), 0700, 0));
        v.accept(Entry.directory(b("d"), 0755, 0));
    }

    @Test
    void messagesNameEntryAndRule() {
        assertThatThrownBy(() -> v.accept(Entry.file(b("../x"), 0644, 0, 0)))
                .isInstanceOfSatisfying(EntryRejectedException.class, e -> {
                    assertThat(e.kind()).isEqualTo(PyroException.Kind.INVALID_ARGUMENT);
                    assertThat(e.entry()).isEqualTo("../x");
                    assertThat(e.getMessage()).isEqualTo("archive entry '../x': '..' escapes the destination; nothing "
                            + "was imported (remove or rename that entry)");
                });
    }

    @Test
    void duplicatesAndWritesThroughLinksAreRejected() {
        v.accept(Entry.file(b("a"), 0644, 0, 0));
        assertThatThrownBy(() -> v.accept(Entry.file(b("a"), 0644, 0, 0))).hasMessageContaining("duplicate path");
        assertThatThrownBy(() -> v.accept(Entry.directory(b("a"), 0755, 0))).hasMessageContaining("duplicate path");
        assertThatThrownBy(() -> v.accept(Entry.file(b("a/b"), 0644, 0, 0)))
                .hasMessageContaining("a parent in this archive is not a directory ('a' is a file");
        v.accept(Entry.symlink(b("l"), b("."), 0));
        assertThatThrownBy(() -> v.accept(Entry.file(b("l/x"), 0644, 0, 0)))
                .hasMessageContaining("'l' is a symlink");
        v.accept(Entry.file(b("d/f"), 0644, 0, 0));
        assertThatThrownBy(() -> v.accept(Entry.symlink(b("d"), b("x"), 0))).hasMessageContaining("duplicate path");
    }

    @Test
    void hardlinksNeedAnEarlierFile() {
        assertThatThrownBy(() -> v.accept(Entry.hardlink(b("h"), b("later")))).hasMessageContaining("earlier file");
        v.accept(Entry.directory(b("dir"), 0755, 0));
        assertThatThrownBy(() -> v.accept(Entry.hardlink(b("h"), b("dir")))).hasMessageContaining("earlier file");
        assertThatThrownBy(() -> v.accept(Entry.hardlink(b("h"), b("/etc/passwd"))))
                .hasMessageContaining("hardlink target: absolute");
        v.accept(Entry.file(b("f"), 0644, 0, 0));
        v.accept(Entry.hardlink(b("h"), b("f")));
        v.accept(Entry.hardlink(b("h2"), b("h")));
    }

    @Test
    void capsCountEntriesAndFileBytes() {
        for (int i = 0; i < 10; i++) {
            v.accept(Entry.file(b("f" + i), 0644, 0, 100));
        }
        assertThatThrownBy(() -> v.accept(Entry.directory(b("one-more"), 0755, 0)))
                .hasMessageContaining("archive entry 'one-more': more than 10 entries")
                .hasMessageContaining(ImportCaps.ENV_MAX_ENTRIES);
        EntryValidator w = new EntryValidator("archive entry", "nothing was imported", "", new ImportCaps(10, 1000));
        w.accept(Entry.file(b("a"), 0644, 0, 999));
        w.accept(Entry.file(b("b"), 0644, 0, 1));
        assertThatThrownBy(() -> w.accept(Entry.file(b("c"), 0644, 0, 1)))
                .hasMessageContaining("'c': more than 1000 bytes").hasMessageContaining(ImportCaps.ENV_MAX_BYTES);
    }

    /** {@code a/b/c/d/f} alone makes five paths: the directories a path implies cost what entries cost. */
    @Test
    void impliedDirectoriesCountTowardTheEntryCap() {
        EntryValidator five = new EntryValidator("archive entry", "nothing was imported", "", new ImportCaps(5, 1000));
        five.accept(Entry.file(b("a/b/c/d/f"), 0644, 0, 0));
        assertThat(five.paths()).isEqualTo(5);
        assertThat(five.entries()).isEqualTo(1);
        five.accept(Entry.directory(b("a/b"), 0700, 0)); // named after it was implied: counted once
        assertThatThrownBy(() -> five.accept(Entry.file(b("a/b/c/d/g"), 0644, 0, 0)))
                .hasMessage("archive entry 'a/b/c/d/g': more than 5 entries (counting the directories that paths "
                        + "imply); nothing was imported (raise the limit with PYRO_IMPORT_MAX_ENTRIES (now 5))");
        EntryValidator two = new EntryValidator("archive entry", "nothing was imported", "", new ImportCaps(2, 1000));
        assertThatThrownBy(() -> two.accept(Entry.file(b("x/y/z"), 0644, 0, 0)))
                .hasMessageContaining("'x/y/z': more than 2 entries");
    }

    /** 17,500 paths of 3,850 bytes take more than 64 MiB: refused, as the agent would. */
    @Test
    void allPathsTogetherTakeAtMost64MiB() {
        String dir = ("d".repeat(255) + "/").repeat(15);
        EntryValidator many = new EntryValidator("archive entry", "nothing was imported", "", ImportCaps.defaults());
        assertThatThrownBy(() -> {
            for (int i = 0; i < 18_000; i++) {
                many.accept(Entry.file(b(dir + "f" + i), 0644, 0, 0));
            }
        }).hasMessageContaining("the paths of this archive take more than 67108864 bytes in all (a fixed limit)");
        assertThat(many.paths()).isBetween(17_000L, 17_500L);
    }

    @Test
    void pathsDeeperThan256ComponentsAreRefused() {
        String deep = "d/".repeat(256) + "f"; // 257 components
        assertThatThrownBy(() -> v.accept(Entry.file(b(deep), 0644, 0, 0)))
                .hasMessageContaining("more than 256 path components below /workspace (a fixed limit)");
        EntryValidator below = new EntryValidator("archive entry", "nothing was imported", "src/lib",
                ImportCaps.defaults());
        below.accept(Entry.file(b("d/".repeat(253) + "f"), 0644, 0, 0)); // 2 + 254 = 256
        assertThatThrownBy(() -> below.accept(Entry.file(b("e/".repeat(254) + "f"), 0644, 0, 0)))
                .hasMessageContaining("more than 256 path components");
    }

    @Test
    void hostPathsStayWithinLinuxsLimit() {
        java.nio.file.Path dir = java.nio.file.Path.of("/" + "h".repeat(199)); // 200 bytes, plus '/'
        EntryValidator host = new EntryValidator("archive entry", "nothing was imported", "", ImportCaps.defaults())
                .limitHostPaths(dir);
        host.accept(Entry.file(b(("n".repeat(200) + "/").repeat(19) + "x".repeat(3894 - 19 * 201)), 0644, 0, 0));
        assertThatThrownBy(() -> host.accept(Entry.file(b(("m".repeat(200) + "/").repeat(19) + "y".repeat(3895
                - 19 * 201)), 0644, 0, 0))).hasMessageContaining("its path on the host would be longer than 4095 bytes");
    }

    /**
     * Names chosen so that they all have the same hash ({@code Aa} and {@code BB} hash alike):
     * lookups stay logarithmic, so 131,072 of them in one directory take a moment, not hours.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 30, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void namesThatCollideInTheHashDoNotMakeTheWorkQuadratic() {
        EntryValidator many = new EntryValidator("archive entry", "nothing was imported", "", ImportCaps.defaults());
        int n = 1 << 17;
        for (int i = 0; i < n; i++) {
            StringBuilder name = new StringBuilder("d/");
            for (int bit = 16; bit >= 0; bit--) {
                name.append((i >> bit & 1) == 0 ? "Aa" : "BB");
            }
            many.accept(Entry.file(b(name.toString()), 0644, 0, 0));
        }
        assertThat(many.paths()).isEqualTo(n + 1);
        assertThatThrownBy(() -> many.accept(Entry.file(b("d/" + "Aa".repeat(17)), 0644, 0, 0)))
                .hasMessageContaining("duplicate path");
    }

    @Test
    void malformedEntriesFromAnUntrustedPeer() {
        assertThatThrownBy(() -> v.accept(new Entry(EntryKind.FILE, b("f"), 010644, 0, 0, null)))
                .hasMessageContaining("permission bits");
        assertThatThrownBy(() -> v.accept(new Entry(EntryKind.DIRECTORY, b("d"), 0755, 0, 5, null)))
                .hasMessageContaining("cannot have a size");
        assertThatThrownBy(() -> v.accept(new Entry(EntryKind.FILE, b("f"), 0644, 0, 0, b("x"))))
                .hasMessageContaining("cannot have a link target");
    }

    @Test
    void destinationCountsTowardThePathLimit() {
        String dest = "d".repeat(200) + "/" + "e".repeat(200);
        EntryValidator deep = new EntryValidator("archive entry", "nothing was imported", dest, ImportCaps.defaults());
        String name = ("n".repeat(250) + "/").repeat(14) + "x".repeat(150); // 3664 bytes: fine alone
        assertThat(ImportPolicy.pathRule(b(name))).isNull();
        assertThatThrownBy(() -> deep.accept(Entry.file(b(name), 0644, 0, 0)))
                .hasMessageContaining("longer than 4000 bytes");
    }

    @Test
    void capsFromTheEnvironment() {
        assertThat(ImportCaps.from(java.util.Map.of())).isEqualTo(ImportCaps.defaults());
        assertThat(ImportCaps.from(java.util.Map.of("PYRO_IMPORT_MAX_ENTRIES", "500000",
                "PYRO_IMPORT_MAX_BYTES", "20G"))).isEqualTo(new ImportCaps(500_000, 20L << 30));
        assertThat(ImportCaps.from(java.util.Map.of("PYRO_IMPORT_MAX_BYTES", "512MiB")).maxBytes()).isEqualTo(512L << 20);
        assertThat(ImportCaps.from(java.util.Map.of("PYRO_IMPORT_MAX_BYTES", "1000")).maxBytes()).isEqualTo(1000);
        assertThatThrownBy(() -> ImportCaps.from(java.util.Map.of("PYRO_IMPORT_MAX_BYTES", "lots")))
                .hasMessage("PYRO_IMPORT_MAX_BYTES='lots' is not a size; use a positive number of bytes, optionally "
                        + "with K, M, G or T (e.g. 20G)");
        assertThatThrownBy(() -> ImportCaps.from(java.util.Map.of("PYRO_IMPORT_MAX_ENTRIES", "0")))
                .hasMessageContaining("PYRO_IMPORT_MAX_ENTRIES='0' is not a count");
        assertThat(ImportCaps.from(java.util.Map.of()).timeout()).isEqualTo(java.time.Duration.ofMinutes(30));
        assertThat(ImportCaps.from(java.util.Map.of("PYRO_TRANSFER_TIMEOUT", "45m")).timeout())
                .isEqualTo(java.time.Duration.ofMinutes(45));
        assertThat(ImportCaps.from(java.util.Map.of("PYRO_TRANSFER_TIMEOUT", "90")).timeout())
                .isEqualTo(java.time.Duration.ofSeconds(90));
        assertThatThrownBy(() -> ImportCaps.from(java.util.Map.of("PYRO_TRANSFER_TIMEOUT", "soon")))
                .hasMessage("PYRO_TRANSFER_TIMEOUT='soon' is not a time; use a positive number of seconds, optionally "
                        + "with s, m or h (e.g. 45m)");
    }

    @Test
    void workspacePaths() {
        assertThat(WorkspacePaths.normalize(null, "destination")).isEqualTo("/workspace");
        assertThat(WorkspacePaths.normalize("/workspace/", "destination")).isEqualTo("/workspace");
        assertThat(WorkspacePaths.normalize("src//lib/./x/", "destination")).isEqualTo("/workspace/src/lib/x");
        assertThat(WorkspacePaths.normalize("/workspace/a/../b", "destination")).isEqualTo("/workspace/b");
        assertThatThrownBy(() -> WorkspacePaths.normalize("/etc", "destination"))
                .hasMessage("destination /etc is outside /workspace; use /workspace or a path under it");
        assertThatThrownBy(() -> WorkspacePaths.normalize("/workspace/../etc", "destination"))
                .hasMessageContaining("outside /workspace");
        assertThatThrownBy(() -> WorkspacePaths.normalize("../x", "destination"))
                .hasMessageContaining("outside /workspace");
        assertThatThrownBy(() -> WorkspacePaths.normalize("/workspacex", "destination"))
                .hasMessageContaining("outside /workspace");
    }
}
