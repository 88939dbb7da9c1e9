package dev.pyro.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pyro.internal.host.Exec;
import dev.pyro.internal.host.HostInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Bootstraps Debian from the mirror and packs the real debian:12-base image (root only). */
class RootfsBuildIT {
    private static final String ENV = "debian:12-base";

    @Test
    void buildsTheBaseImageWithTheAgentInside() throws Exception {
        assumeTrue(HostInfo.isRoot(), "building root filesystems needs root");
        assumeFalse(Recipes.fromClasspath().agentSources().isEmpty(), "no agent sources packaged yet");
        RuntimeBuilder runtime = ItRuntime.builder();
        long start = System.nanoTime();
        ItRuntime.Recorder progress = new ItRuntime.Recorder();
        RootfsArtifact rootfs = runtime.buildRootfs(ENV, false, progress);
        System.out.printf("%s image ready after %.1f s: %s (%d MiB, %d packages)%n", ENV,
                (System.nanoTime() - start) / 1e9, rootfs.image(), rootfs.manifest().imageSize() >> 20,
                rootfs.manifest().packages().size());
        Path image = rootfs.image();
        RootfsManifest manifest = rootfs.manifest();

        Exec.Result fsck = Exec.capture(List.of("e2fsck", "-fn", image.toString()));
        assertThat(fsck.exitCode()).as(fsck.stdout() + fsck.stderr()).isZero();
        assertThat(debugfs(image, "stat /usr/sbin/pyro-agent")).contains("Mode:  0755", "User:     0",
                "Size: " + Files.size(runtime.buildAgent(false, e -> { }).binary()));
        assertThat(debugfs(image, "cat /etc/hostname")).isEqualTo("pyro\n");
        assertThat(debugfs(image, "cat /etc/resolv.conf")).isEmpty();
        assertThat(debugfs(image, "cat /etc/pyro/environment.json")).contains("\"name\" : \"debian:12-base\"",
                "\"agent_sha256\" : \"" + manifest.agentSha256() + "\"");
        assertThat(debugfs(image, "stat /workspace")).contains("Type: directory");
        assertThat(debugfs(image, "ls -l /var/lib/apt/lists")).contains("partial").doesNotContain("Packages");
        // dpkg's path-exclude keeps man pages and docs out (copyright files stay).
        assertThat(debugfs(image, "ls /usr/share/man")).doesNotContain("man1");
        assertThat(debugfs(image, "ls /usr/share/doc/bash")).contains("copyright").doesNotContain("README");
        assertThat(debugfs(image, "stat /usr/bin/bash")).contains("Type: regular");
        assertThat(debugfs(image, "stat /bin")).contains("Type: symlink");

        assertThat(manifest.packages()).extracting(PackageVersion::name)
                .contains("bash", "coreutils", "procps", "usr-is-merged").doesNotContain("usrmerge", "perl");
        assertThat(manifest.packages()).allMatch(p -> !p.version().isBlank());
        assertThat(manifest.imageSha256()).isEqualTo(Hashes.sha256(image));
        assertThat(manifest.imageSize()).isBetween(64L << 20, 512L << 20);
        assertThat(manifest.requestedPackages()).containsExactly("procps");
        RuntimeLock.Environment locked = runtime.lockStore().read().environments().get(ENV);
        assertThat(locked.imageSha256()).isEqualTo(manifest.imageSha256());
        assertThat(locked.agentSha256()).isEqualTo(runtime.lockStore().read().agent().binarySha256());
        assertThat(runtime.paths().buildDir().toFile().list((d, n) -> n.startsWith("rootfs-"))).isNullOrEmpty();

        // The cheap check catches a touched image; putting the time back makes it ready again.
        String id = RuntimeLock.rootfsId(ENV);
        FileTime installed = Files.getLastModifiedTime(image);
        try {
            Files.setLastModifiedTime(image, FileTime.fromMillis(installed.toMillis() + 1000));
            assertThat(runtime.status(false, e -> { }).component(id)).get()
                    .extracting(ComponentStatus::state).isEqualTo(ComponentState.CORRUPT);
        } finally {
            Files.setLastModifiedTime(image, installed);
        }
        assertThat(runtime.status(true, e -> { }).component(id)).get()
                .extracting(ComponentStatus::state).isEqualTo(ComponentState.READY);

        long again = System.nanoTime();
        assertThat(runtime.buildRootfs(ENV, false, e -> { }).dir()).isEqualTo(rootfs.dir());
        assertThat((System.nanoTime() - again) / 1e9).isLessThan(10);
    }

    private static String debugfs(Path image, String request) {
        Exec.Result result = Exec.capture(List.of("debugfs", "-R", request, image.toString()));
        return result.stdout() + result.stderr().replaceAll("debugfs [0-9.]+ \\([^)]*\\)\n", "");
    }
}
