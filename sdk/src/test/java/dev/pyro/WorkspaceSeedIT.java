package dev.pyro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Seeding, syncing and exporting workspaces through the SDK, in real VMs. */
class WorkspaceSeedIT {
    static final String ENV = "debian:12-base";
    /** Type, permission bits, size (files only), path and link target of every entry, sorted. */
    static final String LISTING = "find . -mindepth 1 \\( -type f -printf '%y %m %s %p\\n' \\) -o \\( ! -type f -printf '%y %m - %p %l\\n' \\) | LC_ALL=C sort";
    static final String CHECKSUMS = "find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum";

    @TempDir
    static Path home;

    @TempDir
    static Path tree;

    static Pyro pyro;

    @BeforeAll
    static void start() throws Exception {
        pyro = Pyro.builder().home(home).build();
        pyro.materialize(List.of(ENV));
        makeTree(tree.resolve("src"));
    }

    @AfterAll
    static void stop() {
        for (WorkspaceInfo w : pyro.workspaces().list()) {
            pyro.workspaces().delete(w.id());
        }
        pyro.close();
    }

    /** 1,000 files in nested directories, with symlinks, empty dirs, exec bits and Unicode names. */
    static void makeTree(Path root) throws IOException {
        for (int d = 0; d < 20; d++) {
            Path dir = Files.createDirectories(root.resolve("dir-" + d).resolve("nested-" + (d % 3)));
            for (int f = 0; f < 50; f++) {
                String name = (f % 10 == 0 ? "ünïcödé-日本-" : "file-") + f + (f % 7 == 0 ? ".sh" : ".txt");
                Path file = dir.resolve(name);
                Files.writeString(file, "content " + d + "/" + f + "\n".repeat(f));
                if (f % 7 == 0) {
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-x---"));
                }
            }
        }
        Files.createDirectories(root.resolve("empty/deeper/still-empty"));
        Files.createSymbolicLink(root.resolve("link-to-file"), Path.of("dir-0/nested-0/file-1.txt"));
        Files.createSymbolicLink(root.resolve("dir-1/link-up"), Path.of("../dir-2"));
        Files.write(root.resolve("zero-bytes"), new byte[0]);
        byte[] big = new byte[3 << 20];
        new java.util.Random(7).nextBytes(big);
        Files.write(root.resolve("binary.bin"), big);
    }

    static String host(Path dir, String script) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", script).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    static String guest(String id, String dir, String script) {
        CommandResult r = pyro.workspaces().exec(id, CommandRequest.of("sh", "-c", script).withCwd(dir)
                .withTimeoutSeconds(120), OutputListener.NONE);
        assertThat(r.exitCode()).as(r.stderrText()).isZero();
        return r.stdoutText();
    }

    @Test
    void aDirectorySeedArrivesExactlyAndExportsBackExactly() throws Exception {
        Path src = tree.resolve("src");
        WorkspaceInfo w = pyro.workspaces().create(MachineRequest.builder(ENV).seedPath(src).build());
        assertThat(w.seed().mode()).isEqualTo(WorkspaceSeed.Mode.DIRECTORY);
        assertThat(w.seed().sourcePath()).contains(src.toString());
        assertThat(w.seed().entryCount()).isGreaterThan(1000);
        assertThat(host(src, "find . -type f | wc -l").strip()).isEqualTo("1002");

        assertThat(guest(w.id(), "/workspace", LISTING)).isEqualTo(host(src, LISTING));
        assertThat(guest(w.id(), "/workspace", CHECKSUMS)).isEqualTo(host(src, CHECKSUMS));

        Path back = tree.resolve("exported-" + w.id());
        TransferResult r = pyro.workspaces().export(w.id(), "/workspace", back);
        assertThat(r.artifactType()).isEqualTo(TransferResult.ArtifactType.DIRECTORY);
        assertThat(host(back, LISTING)).isEqualTo(host(src, LISTING));
        assertThat(host(back, CHECKSUMS)).isEqualTo(host(src, CHECKSUMS));
        pyro.workspaces().delete(w.id());
    }

    @ParameterizedTest
    @ValueSource(strings = {"seed.tar", "seed.tar.gz", "seed.tgz"})
    void theThreeTarFormats(String name) throws Exception {
        Path src = tree.resolve("src");
        Path archive = tree.resolve(name);
        String flags = name.endsWith(".tar") ? "-cf" : "-czf";
        host(src, "tar " + flags + " " + archive + " .");
        WorkspaceInfo w = pyro.workspaces().create(MachineRequest.builder(ENV).seedPath(archive).build());
        assertThat(w.seed().mode()).isEqualTo(WorkspaceSeed.Mode.TAR_ARCHIVE);
        assertThat(guest(w.id(), "/workspace", CHECKSUMS)).isEqualTo(host(src, CHECKSUMS));
        assertThat(guest(w.id(), "/workspace", LISTING)).isEqualTo(host(src, LISTING));
        pyro.workspaces().delete(w.id());
    }

    @Test
    void aHostileSeedIsRejectedAndLeavesNoWorkspace() throws Exception {
        Path evil = tree.resolve("evil");
        Files.createDirectories(evil.resolve("inner"));
        Files.writeString(evil.resolve("inner/ok.txt"), "fine");
        Path archive = tree.resolve("evil.tar");
        // an entry whose name climbs out of the destination
        host(evil, "tar -cf " + archive + " inner/ok.txt --transform='s|inner/ok.txt|../../escaped.txt|'");
        int before = pyro.workspaces().list().size();
        List<Path> vmsBefore = list(home.resolve("vms"));
        assertThatThrownBy(() -> pyro.workspaces().create(MachineRequest.builder(ENV).seedPath(archive).build()))
                .isInstanceOf(PyroException.class)
                .hasMessageContaining("../../escaped.txt");
        assertThat(pyro.workspaces().list()).hasSize(before);
        assertThat(list(home.resolve("vms"))).isEqualTo(vmsBefore);
        assertThat(tree.resolve("escaped.txt")).doesNotExist();
    }

    @Test
    void syncPushIsAtomic() throws Exception {
        WorkspaceInfo w = pyro.workspaces().create(MachineRequest.builder(ENV).build());
        Path first = Files.createDirectories(tree.resolve("first"));
        Files.writeString(first.resolve("a.txt"), "a1");
        Files.createDirectories(first.resolve("d"));
        Files.writeString(first.resolve("d/b.txt"), "b1");
        TransferResult ok = pyro.workspaces().syncPush(w.id(), first, "/workspace/proj");
        assertThat(ok.entryCount()).isEqualTo(3);
        String before = guest(w.id(), "/workspace", LISTING) + guest(w.id(), "/workspace", CHECKSUMS);

        // 600 good entries that would replace a.txt and add files, then one that breaks a rule
        Path bad = Files.createDirectories(tree.resolve("bad"));
        Files.writeString(bad.resolve("a.txt"), "a2 replaced");
        for (int i = 0; i < 600; i++) {
            Files.writeString(bad.resolve("n" + i), "x" + i);
        }
        Path archive = tree.resolve("bad.tar");
        host(bad, "tar -cf " + archive + " a.txt $(ls | grep '^n' | sort -V) && "
                + "echo evil > /tmp/pyro-it-evil && tar -rf " + archive + " -P /tmp/pyro-it-evil");
        assertThatThrownBy(() -> pyro.workspaces().syncPush(w.id(), archive, "/workspace/proj"))
                .isInstanceOf(PyroException.class)
                .hasMessageContaining("pyro-it-evil");
        String after = guest(w.id(), "/workspace", LISTING) + guest(w.id(), "/workspace", CHECKSUMS);
        assertThat(after).isEqualTo(before);
        assertThat(guest(w.id(), "/workspace", "cat proj/a.txt")).isEqualTo("a1");

        assertThatThrownBy(() -> pyro.workspaces().syncPush(w.id(), first, "/etc"))
                .hasMessageContaining("outside /workspace");
        pyro.workspaces().delete(w.id());
    }

    static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
