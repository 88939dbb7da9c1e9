package dev.pyro.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.ProgressListener;
import dev.pyro.PyroException;
import dev.pyro.internal.host.HostTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Uses the host's real apt metadata (apt-cache, no downloads). */
class KernelSourceFetcherTest {
    @TempDir
    Path dir;

    private final KernelSource pinned = Recipes.fromClasspath().kernelSource();

    private KernelSourceFetcher fetcher(Optional<String> override) {
        HostTools tools = HostTools.fromEnvironment(System.getenv(), dir);
        return new KernelSourceFetcher(tools, dir.resolve("sources"), dir.resolve("logs"), override, tools.isRoot());
    }

    @Test
    void theMirrorServesThePinnedVersion() {
        List<String> served = fetcher(Optional.empty()).servedVersions(pinned.packageName());
        assertThat(served).contains(pinned.version());
        assertThat(fetcher(Optional.empty()).resolve(pinned)).isEqualTo(pinned);
    }

    @Test
    void anOverrideToAServedVersionTakesItsHashFromApt() {
        List<String> served = fetcher(Optional.empty()).servedVersions(pinned.packageName());
        String other = served.stream().filter(v -> !v.equals(pinned.version())).findFirst().orElseThrow();
        KernelSource resolved = fetcher(Optional.of(other)).resolve(pinned);
        assertThat(resolved.version()).isEqualTo(other);
        assertThat(resolved.filename()).isEqualTo("linux-source-6.1_" + other + "_all.deb");
        assertThat(resolved.sha256()).matches("[0-9a-f]{64}").isNotEqualTo(pinned.sha256());
    }

    @Test
    void anOverrideToAnUnservedVersionListsTheServedOnes() {
        assertThatThrownBy(() -> fetcher(Optional.of("6.1.999-9")).resolve(pinned))
                .isInstanceOfSatisfying(PyroException.class, e -> {
                    assertThat(e.kind()).isEqualTo(PyroException.Kind.BUILD_FAILED);
                    // newest first; the mirror may serve newer versions than the pin
                    String served = String.join(", ", fetcher(Optional.empty()).servedVersions(pinned.packageName()));
                    assertThat(served).contains(pinned.version());
                    assertThat(e.getMessage()).isEqualTo("PYRO_KERNEL_SOURCE_VERSION=6.1.999-9 but the apt mirrors"
                            + " do not serve linux-source-6.1 6.1.999-9 (served: " + served
                            + "); set it to one of the served versions");
                });
    }

    @Test
    void aPinTheMirrorNoLongerServesNamesTheOverride() {
        KernelSource gone = pinned.withVersion("6.1.1-1", "0".repeat(64));
        String newest = fetcher(Optional.empty()).servedVersions(pinned.packageName()).get(0);
        assertThatThrownBy(() -> fetcher(Optional.empty()).fetch(gone,
                new Progress(ProgressListener.NONE, "kernel")))
                .isInstanceOf(PyroException.class)
                .hasMessageStartingWith("linux-source-6.1 6.1.1-1 (pinned in kernel/source.json) is not served by"
                        + " the apt mirrors (served: " + newest)
                .hasMessageContaining("; set PYRO_KERNEL_SOURCE_VERSION=" + newest + " to build with a served version");
    }

    @Test
    void aCachedFileWithTheRightHashIsUsedWithoutApt() throws Exception {
        byte[] content = "not really a deb".getBytes();
        KernelSource source = pinned.withVersion("6.1.1-1", Hashes.sha256(content));
        Files.createDirectories(dir.resolve("sources"));
        Files.write(dir.resolve("sources").resolve(source.filename()), content);
        assertThat(fetcher(Optional.empty()).fetch(source, new Progress(ProgressListener.NONE, "kernel")))
                .hasBinaryContent(content);
    }
}
