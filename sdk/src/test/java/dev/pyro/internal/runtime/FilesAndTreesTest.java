package dev.pyro.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.ProgressEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesAndTreesTest {
    @TempDir
    Path dir;

    @Test
    void cheapCheckSeesSizeAndTimeFullCheckSeesContent() throws Exception {
        Files.writeString(dir.resolve("img"), "original");
        InstalledFile recorded = InstalledFile.record(dir, "img");
        assertThat(recorded.sha256()).isEqualTo(Hashes.sha256("original"));
        assertThat(recorded.cheapProblem(dir)).isEmpty();
        assertThat(recorded.fullProblem(dir)).isEmpty();

        // Same size, mtime put back: only the full hash notices.
        Files.writeString(dir.resolve("img"), "0riginal");
        Files.setLastModifiedTime(dir.resolve("img"), FileTime.fromMillis(recorded.mtimeMillis()));
        assertThat(recorded.cheapProblem(dir)).isEmpty();
        assertThat(recorded.fullProblem(dir)).get().asString().contains("has sha256");

        Files.setLastModifiedTime(dir.resolve("img"), FileTime.fromMillis(recorded.mtimeMillis() + 5000));
        assertThat(recorded.cheapProblem(dir)).get().asString().endsWith("was modified after it was installed");
        Files.writeString(dir.resolve("img"), "longer content");
        assertThat(recorded.cheapProblem(dir)).get().asString().contains("has size 14, expected 8");
        Files.delete(dir.resolve("img"));
        assertThat(recorded.cheapProblem(dir)).get().asString().endsWith("is missing");
    }

    @Test
    void installReplacesAtomicallyAndLeavesNothingAside() throws Exception {
        Path target = dir.resolve("kernel/abc");
        Path first = Trees.newStagingDir(dir.resolve("kernel"), ".staging-");
        Files.writeString(first.resolve("f"), "1");
        Trees.install(first, target);
        Path second = Trees.newStagingDir(dir.resolve("kernel"), ".staging-");
        Files.writeString(second.resolve("f"), "2");
        Trees.install(second, target);
        assertThat(Files.readString(target.resolve("f"))).isEqualTo("2");
        try (var children = Files.list(dir.resolve("kernel"))) {
            assertThat(children.map(p -> p.getFileName().toString())).containsExactly("abc");
        }
    }

    @Test
    void deleteNeverFollowsSymlinksOutOfTheTree() throws Exception {
        Path outside = Files.createDirectories(dir.resolve("host"));
        Files.writeString(outside.resolve("precious"), "keep");
        Path tree = Files.createDirectories(dir.resolve("tree/a"));
        Files.createSymbolicLink(tree.resolve("link"), outside);
        Files.writeString(tree.resolve("file"), "x");
        Files.setPosixFilePermissions(tree, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
        Trees.deleteRecursively(dir.resolve("tree"));
        assertThat(dir.resolve("tree")).doesNotExist();
        assertThat(outside.resolve("precious")).hasContent("keep");
    }

    @Test
    void writeAtomicallyReplacesContent() throws Exception {
        Path file = dir.resolve("sub/lock.json");
        Trees.writeAtomically(file, "one".getBytes());
        Trees.writeAtomically(file, "two".getBytes());
        assertThat(file).hasContent("two");
        try (var children = Files.list(dir.resolve("sub"))) {
            assertThat(children).hasSize(1);
        }
    }

    @Test
    void treeSizeCountsHardLinksOnceAndReservesInodes() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("t/d"));
        Files.write(tree.resolve("big"), new byte[10_000]);
        Files.createLink(tree.resolve("hard"), tree.resolve("big"));
        Files.createSymbolicLink(tree.resolve("short"), Path.of("big"));
        Files.createSymbolicLink(tree.resolve("long"), Path.of("x".repeat(80)));
        TreeSize size = TreeSize.measure(dir.resolve("t"));
        assertThat(size.inodes()).isEqualTo(2 + 1 + 2);
        assertThat(size.contentBytes()).isEqualTo(10_000);
        assertThat(size.dataBytes()).isEqualTo(2 * 4096 + 3 * 4096 + 4096);
        assertThat(size.imageBytes() % (1 << 20)).isZero();
        assertThat(size.imageBytes()).isGreaterThan(16L << 20);
    }

    @Test
    void progressIsThrottledButNewMessagesAlwaysGoOut() {
        List<ProgressEvent> events = new ArrayList<>();
        Progress progress = new Progress(events::add, "kernel");
        for (int i = 0; i < 10_000; i++) {
            progress.update("compiling", i, 10_000);
        }
        progress.update("linking", 1, 2);
        progress.step("done");
        assertThat(events.size()).isLessThan(10);
        assertThat(events).extracting(ProgressEvent::message).containsSubsequence("compiling", "linking", "done");
        assertThat(events).allMatch(e -> e.task().equals("kernel"));
    }

    @Test
    void elfCheckTellsStaticFromDynamic() throws Exception {
        ElfCheck.Result dynamic = ElfCheck.check(Path.of("/bin/sh").toRealPath());
        assertThat(dynamic.ok()).isFalse();
        assertThat(dynamic.description()).startsWith("dynamically linked (loader /lib64/ld-linux-x86-64.so.2)");
        // Debian's ldconfig is a static program.
        ElfCheck.Result ldconfig = ElfCheck.check(Path.of("/sbin/ldconfig").toRealPath());
        assertThat(ldconfig.ok()).as(ldconfig.description()).isTrue();
        Files.writeString(dir.resolve("script"), "#!/bin/sh\n");
        assertThat(ElfCheck.check(dir.resolve("script")).description()).isEqualTo("too short to be an ELF executable");
        Files.writeString(dir.resolve("text"), "x".repeat(100));
        assertThat(ElfCheck.check(dir.resolve("text")).description()).isEqualTo("not an ELF file");
    }

    @Test
    void imageTweaksStayInsideTheTree() throws Exception {
        Path host = Files.createDirectories(dir.resolve("host-log"));
        Files.writeString(host.resolve("syslog"), "host data");
        Path tree = Files.createDirectories(dir.resolve("tree"));
        Files.createDirectories(tree.resolve("etc"));
        Files.createDirectories(tree.resolve("usr/sbin"));
        Files.createDirectories(tree.resolve("var/lib/apt/lists"));
        Files.writeString(tree.resolve("var/lib/apt/lists/deb.debian.org_Packages"), "lists");
        Files.createDirectories(tree.resolve("var/cache/debconf"));
        Files.writeString(tree.resolve("var/cache/debconf/config.dat-old"), "old");
        Files.writeString(tree.resolve("var/cache/debconf/config.dat"), "keep");
        // A symlink to an absolute host path: following it would delete the host's files.
        Files.createSymbolicLink(tree.resolve("var/log"), host);
        Files.createSymbolicLink(tree.resolve("etc/resolv.conf"), Path.of("/run/systemd/resolve/stub-resolv.conf"));
        Files.createSymbolicLink(tree.resolve("sbin"), Path.of("usr/sbin"));
        Path agent = dir.resolve("agent");
        Files.writeString(agent, "agent-binary");

        EnvironmentRecipe recipe = Recipes.fromClasspath().environment("debian:12-base");
        new ImageTweaks(tree).apply(recipe, agent, "{}\n".getBytes());

        assertThat(host.resolve("syslog")).hasContent("host data");
        assertThat(tree.resolve("etc/hostname")).hasContent("pyro\n");
        assertThat(Files.readString(tree.resolve("etc/hosts"))).contains("127.0.1.1\tpyro");
        assertThat(tree.resolve("etc/resolv.conf")).isRegularFile().isEmptyFile();
        assertThat(Files.readString(tree.resolve("etc/fstab"))).startsWith("#").doesNotContain("/dev/");
        assertThat(tree.resolve("workspace")).isDirectory();
        assertThat(tree.resolve("usr/sbin/pyro-agent")).hasContent("agent-binary");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(tree.resolve("usr/sbin/pyro-agent")))).isEqualTo("rwxr-xr-x");
        assertThat(tree.resolve("etc/pyro/environment.json")).hasContent("{}");
        assertThat(tree.resolve("var/lib/apt/lists/deb.debian.org_Packages")).doesNotExist();
        assertThat(tree.resolve("var/lib/apt/lists/partial")).isDirectory();
        assertThat(tree.resolve("var/cache/debconf/config.dat-old")).doesNotExist();
        assertThat(tree.resolve("var/cache/debconf/config.dat")).exists();

        // A link whose target leaves the tree cannot be used as a parent directory.
        Files.createSymbolicLink(tree.resolve("opt"), host);
        assertThatThrownBy(() -> new ImageTweaks(tree).inside("/opt/x"))
                .hasMessageContaining("leads out of the image tree");
    }
}
