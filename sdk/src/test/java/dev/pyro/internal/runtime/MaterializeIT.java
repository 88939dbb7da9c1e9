package dev.pyro.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pyro.PyroException;
import dev.pyro.internal.host.HostInfo;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The facade's one-call path: materialize everything, then resolve what to boot. */
class MaterializeIT {
    @Test
    void materializeBuildsWhatIsMissingAndResolveHandsOutTheArtifacts() {
        assumeTrue(HostInfo.isRoot(), "building root filesystems needs root");
        RuntimeBuilder runtime = ItRuntime.builder();
        assertThatThrownBy(() -> runtime.materialize(List.of("debian:12-base", "debian:99"), e -> { }))
                .isInstanceOfSatisfying(PyroException.class,
                        e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.INVALID_ARGUMENT))
                .hasMessage("unknown environment 'debian:99'; known environments: debian:12, debian:12-base, debian:12-build");

        long start = System.nanoTime();
        RuntimeStatus status = runtime.materialize(List.of(), new ItRuntime.Recorder());
        System.out.printf("materialize took %.1f s%n", (System.nanoTime() - start) / 1e9);
        assertThat(status.allReady()).as(status.toString()).isTrue();
        assertThat(status.components()).extracting(ComponentStatus::id)
                .containsExactly("kernel", "agent", "rootfs:debian:12", "rootfs:debian:12-base", "rootfs:debian:12-build");

        ResolvedRuntime resolved = runtime.resolve("debian:12-base", e -> { });
        long resolveStart = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            runtime.resolve("debian:12-base", e -> { });
        }
        System.out.printf("resolve (the run path's check) takes %.1f ms%n", (System.nanoTime() - resolveStart) / 20 / 1e6);
        assertThat(resolved.bzImage()).exists();
        assertThat(resolved.rootImage()).exists();
        assertThat(resolved.kernelRelease()).endsWith("-pyro");
        RuntimeLock lock = runtime.lockStore().read();
        assertThat(lock.kernel().bzimageSha256()).isEqualTo(resolved.kernelSha256());
        assertThat(lock.environments().get("debian:12-base").imageSha256()).isEqualTo(resolved.imageSha256());
        assertThat(lock.environments().get("debian:12-base").manifestPath()).satisfies(p ->
                assertThat(Files.exists(java.nio.file.Path.of(p))).isTrue());

        long verify = System.nanoTime();
        RuntimeStatus full = runtime.status(true, e -> { });
        System.out.printf("full verification took %.1f s%n", (System.nanoTime() - verify) / 1e9);
        assertThat(full.allReady()).isTrue();
    }
}
