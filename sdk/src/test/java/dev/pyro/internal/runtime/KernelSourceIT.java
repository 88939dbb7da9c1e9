package dev.pyro.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.ProgressEvent;
import dev.pyro.PyroException;
import dev.pyro.internal.host.HostTools;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Downloads the real linux-source .deb (139 MB) from the mirror into a temporary cache. */
class KernelSourceIT {
    @TempDir
    Path dir;

    @Test
    void aDownloadWhoseHashDiffersFromThePinIsDeletedAndRefused() {
        HostTools tools = HostTools.fromEnvironment(System.getenv(), dir, dir.resolve("apt-lists-updated"));
        Path sources = dir.resolve("sources");
        KernelSourceFetcher fetcher = new KernelSourceFetcher(tools, sources, dir.resolve("logs"), Optional.empty(),
                tools.isRoot());
        ItRuntime.Recorder progress = new ItRuntime.Recorder();
        // The pin, or the newer version built when the mirrors no longer serve it.
        KernelSource pinned = fetcher.choose(Recipes.fromClasspath().kernelSource(), new Progress(progress, "kernel"))
                .source();
        KernelSource wrongPin = new KernelSource(pinned.packageName(), pinned.version(), pinned.filename(),
                "0".repeat(64), pinned.tarball());
        long start = System.nanoTime();
        assertThatThrownBy(() -> fetcher.fetch(wrongPin, new Progress(progress, "kernel")))
                .isInstanceOfSatisfying(PyroException.class, e -> {
                    assertThat(e.kind()).isEqualTo(PyroException.Kind.BUILD_FAILED);
                    assertThat(e.getMessage()).isEqualTo("sha256 mismatch for " + pinned.filename() + " (expected "
                            + "0".repeat(64) + ", got " + pinned.sha256() + "); the download was deleted and nothing"
                            + " was built: check the apt mirror, or pin a served version with PYRO_KERNEL_SOURCE_VERSION");
                });
        System.out.printf("downloaded and hashed %s in %.1f s%n", pinned.filename(), (System.nanoTime() - start) / 1e9);
        assertThat(sources.toFile().list()).isEmpty();
        // The download reported growing byte counts against the size apt announced.
        assertThat(progress.events.stream().filter(e -> e.message().startsWith("downloading"))
                .mapToLong(ProgressEvent::total).max().orElse(0)).isGreaterThan(100_000_000);
    }
}
