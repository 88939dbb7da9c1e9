package dev.pyro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host-execution door through the public API: an instance whose {@link HostAccess} does
 * not allow host-compat refuses every request that asks for it before any work starts, so no
 * command reaches the host (the marker file the command would create never appears). The
 * instance cannot start a VM (no QEMU, an empty cache), which is when a fallback would happen.
 * VMs are not needed here; McpStdioClientIT shows the same through the MCP server with a real
 * runtime.
 */
class HostExecutionDoorTest {
    @TempDir
    Path tmp;

    private Pyro pyro(HostAccess access) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("PYRO_QEMU", tmp.resolve("no-qemu").toString());
        env.put("PYRO_NO_AUTO_INSTALL", "1");
        return Pyro.builder().home(tmp.resolve("home")).cacheDir(tmp.resolve("cache")).environment(env)
                .hostAccess(access).build();
    }

    private List<String> touch(Path marker) {
        return List.of("sh", "-c", "touch " + marker);
    }

    @Test
    void aRefusedRunNeverReachesTheHost() {
        Path marker = tmp.resolve("marker");
        try (Pyro pyro = pyro(HostAccess.confined(tmp).build())) {
            for (String engine : List.of("host_compat", "auto")) {
                RunRequest request = RunRequest.builder(Pyro.DEFAULT_ENVIRONMENT, touch(marker))
                        .allowHostCompat(true).engine(engine).build();
                assertThatThrownBy(() -> pyro.run(request)).as(engine)
                        .isInstanceOfSatisfying(HostAccessDeniedException.class, e -> {
                            assertThat(e.kind()).isEqualTo(PyroException.Kind.NOT_PERMITTED);
                            assertThat(e.door()).isEqualTo(HostAccess.Door.HOST_EXECUTION);
                        })
                        .hasMessageContaining("allow_host_compat is refused")
                        .hasMessageContaining("nothing ran");
            }
            MachineRequest create = MachineRequest.builder(Pyro.DEFAULT_ENVIRONMENT).allowHostCompat(true)
                    .engine("host_compat").build();
            assertThatThrownBy(() -> pyro.workspaces().create(create)).isInstanceOf(HostAccessDeniedException.class);
            assertThatThrownBy(() -> pyro.vms().create(create)).isInstanceOf(HostAccessDeniedException.class);
            assertThat(pyro.vms().list()).isEmpty();
            assertThat(pyro.workspaces().list()).isEmpty();
        }
        assertThat(marker).doesNotExist();
    }

    @Test
    void anAllowedInstanceRunsOnTheHostAndSaysSo() {
        Path marker = tmp.resolve("marker");
        try (Pyro pyro = pyro(HostAccess.confined(tmp).allowHostCompat(true).build())) {
            RunResult r = pyro.run(RunRequest.builder(Pyro.DEFAULT_ENVIRONMENT, touch(marker))
                    .allowHostCompat(true).engine("host_compat").build());
            assertThat(r.exitCode()).isZero();
            assertThat(r.executionMode()).isEqualTo(ExecutionMode.HOST_COMPAT);
            assertThat(r.note()).get().asString().contains("WITHOUT isolation");
            assertThat(JsonViews.run(r)).containsEntry("execution_mode", "host_compat");
        }
        assertThat(marker).exists();
    }

    @Test
    void aHostCompatWorkspaceMadeEarlierCannotRunCommandsThroughARefusingInstance() throws Exception {
        Path marker = tmp.resolve("marker");
        String id;
        try (Pyro user = pyro(HostAccess.unrestricted())) {
            id = user.workspaces().create(MachineRequest.builder(Pyro.DEFAULT_ENVIRONMENT).allowHostCompat(true)
                    .engine("host_compat").build()).id();
        }
        try (Pyro model = pyro(HostAccess.confined(tmp).build())) {
            assertThatThrownBy(() -> model.workspaces().exec(id, CommandRequest.of(touch(marker)), OutputListener.NONE))
                    .isInstanceOfSatisfying(HostAccessDeniedException.class,
                            e -> assertThat(e.door()).isEqualTo(HostAccess.Door.HOST_EXECUTION))
                    .hasMessageContaining("workspace " + id + " runs on the host without isolation");
            assertThat(marker).doesNotExist();
            model.workspaces().delete(id);
        }
        assertThat(Files.exists(marker)).isFalse();
    }
}
