package dev.pyro.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.pyro.PyroException;
import dev.pyro.internal.host.HostTools;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Builds the real guest agent with make and gcc. */
class AgentBuildIT {
    @TempDir
    Path dir;

    @Test
    void buildsTheStaticAgentFromThePackagedSources() {
        assumeFalse(Recipes.fromClasspath().agentSources().isEmpty(), "no agent sources packaged yet");
        RuntimeBuilder runtime = ItRuntime.builder();
        long start = System.nanoTime();
        AgentArtifact agent = runtime.buildAgent(false, new ItRuntime.Recorder());
        System.out.printf("agent ready after %.1f s: %s (%d bytes, %s)%n", (System.nanoTime() - start) / 1e9,
                agent.binary(), agent.info().file(AgentInfo.BINARY).size(), agent.info().elf());
        assertThat(ElfCheck.check(agent.binary()).ok()).isTrue();
        assertThat(agent.info().elf()).startsWith("x86-64 static");
        assertThat(Files.isExecutable(agent.binary())).isTrue();
        assertThat(agent.info().sourceSha256()).isEqualTo(Recipes.fromClasspath().agentSources().sha256());
        assertThat(agent.info().binarySha256()).isEqualTo(Hashes.sha256(agent.binary()));
        assertThat(agent.info().compiler()).startsWith("gcc");
        assertThat(runtime.buildAgent(false, new ItRuntime.Recorder()).dir()).isEqualTo(agent.dir());
        assertThat(runtime.status(false, e -> { }).component("agent")).get()
                .extracting(ComponentStatus::state).isEqualTo(ComponentState.READY);
        assertThat(runtime.lockStore().read().agent().binarySha256()).isEqualTo(agent.info().binarySha256());
    }

    @Test
    void aCompileErrorFailsWithTheErrorLineAndTheLog() throws Exception {
        Path recipes = TestRecipes.copyWithAgent(dir.resolve("recipes"), "int main(void) { return nope; }\n");
        Files.writeString(recipes.resolve("agent/Makefile"), "pyro-agent: main.c\n\tgcc -static -o $@ main.c\n");
        RuntimeBuilder runtime = builder(recipes);
        assertThatThrownBy(() -> runtime.buildAgent(false, new ItRuntime.Recorder()))
                .isInstanceOfSatisfying(PyroException.class, e -> {
                    assertThat(e.kind()).isEqualTo(PyroException.Kind.BUILD_FAILED);
                    assertThat(e.getMessage()).startsWith("guest agent build failed in make pyro-agent: ")
                            .contains("'nope' undeclared").contains("(log: " + dir.resolve("cache/logs"));
                    String log = e.getMessage().replaceAll(".*\\(log: (.*)\\)$", "$1");
                    assertThat(Path.of(log)).exists();
                });
        assertThat(dir.resolve("cache/build").toFile().list()).isEmpty();
        assertThat(runtime.status(false, e -> { }).component("agent")).get()
                .extracting(ComponentStatus::state).isEqualTo(ComponentState.MISSING);
    }

    @Test
    void aDynamicallyLinkedAgentIsRefused() throws Exception {
        Path recipes = TestRecipes.copyWithAgent(dir.resolve("recipes"), "int main(void) { return 0; }\n");
        Files.writeString(recipes.resolve("agent/Makefile"), "pyro-agent: main.c\n\tgcc -o $@ main.c\n");
        assertThatThrownBy(() -> builder(recipes).buildAgent(false, new ItRuntime.Recorder()))
                .hasMessageStartingWith("the built guest agent is not a static x86-64 executable: dynamically linked"
                        + " (loader /lib64/ld-linux-x86-64.so.2); link it with -static");
        assertThat(dir.resolve("cache/runtime/linux-x86_64/agent").toFile().list()).isNullOrEmpty();
        assertThat(dir.resolve("cache/build").toFile().list()).isEmpty();
    }

    private RuntimeBuilder builder(Path recipes) {
        RuntimePaths paths = new RuntimePaths(dir.resolve("cache"), dir.resolve("home"));
        return new RuntimeBuilder(paths, RuntimeSettings.defaults(), Recipes.fromDirectory(recipes),
                HostTools.fromEnvironment(System.getenv(), paths.logsDir(), paths.aptListsStamp()));
    }
}
