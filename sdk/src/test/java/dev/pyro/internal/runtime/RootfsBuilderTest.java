package dev.pyro.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.ProgressListener;
import dev.pyro.PyroException;
import dev.pyro.internal.host.AptLists;
import dev.pyro.internal.host.HostTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RootfsBuilderTest {
    @TempDir
    Path dir;

    @Test
    void withoutRootTheBuildFailsWithTheCommandToRunAsRoot() throws Exception {
        RuntimePaths paths = new RuntimePaths(dir.resolve("cache"), dir.resolve("home"));
        HostTools notRoot = new HostTools(HostTools.searchPath(System.getenv()), true, false, dir, AptLists.host(dir.resolve("apt-lists-updated")));
        Path agentDir = Files.createDirectories(dir.resolve("agent"));
        Files.writeString(agentDir.resolve("pyro-agent"), "agent");
        AgentArtifact agent = new AgentArtifact(agentDir, new AgentInfo(1, "k", "", "s", "gcc",
                List.of(InstalledFile.record(agentDir, "pyro-agent")), "x86-64 static", "t", 0));
        EnvironmentRecipe recipe = Recipes.fromClasspath().environment("debian:12-base");
        assertThatThrownBy(() -> new RootfsBuilder(paths, RuntimeSettings.defaults(), notRoot)
                .build(recipe, agent, false, ProgressListener.NONE))
                .isInstanceOfSatisfying(PyroException.class, e -> {
                    assertThat(e.kind()).isEqualTo(PyroException.Kind.HOST_SETUP);
                    assertThat(e.getMessage()).isEqualTo("building the debian:12-base image needs root (mmdebstrap"
                            + " must create root-owned files); run it as root: sudo env PYRO_CACHE_DIR="
                            + paths.cacheDir() + " pyro runtime build-rootfs debian:12-base");
                });
        assertThat(paths.buildDir()).doesNotExist();
    }

    @Test
    void noEnvironmentsWorkTreePrefixMatchesAnothersTrees() {
        Recipes recipes = Recipes.fromClasspath();
        List<EnvironmentRecipe> all = recipes.environments();
        for (EnvironmentRecipe a : all) {
            for (EnvironmentRecipe b : all) {
                if (a != b) {
                    // What b's base and image work trees are called must not start with a's clean-up prefix.
                    assertThat(RootfsBuilder.workPrefix(b) + "base-x").doesNotStartWith(RootfsBuilder.workPrefix(a));
                    assertThat(RootfsBuilder.workPrefix(b) + "image-x").doesNotStartWith(RootfsBuilder.workPrefix(a));
                }
            }
        }
        assertThat(all).extracting(EnvironmentRecipe::directory).contains("debian-12", "debian-12-base");
    }
}
