package dev.pyro.cli;

import static dev.pyro.cli.PyroProcess.ROOT;
import static dev.pyro.cli.PyroProcess.pyro;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Workspaces through the CLI: several processes at once, and CLI crashes mid-create. */
class CliWorkspaceIT {
    static final String ENV = "debian:12-base";
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path home;

    @BeforeAll
    static void runtimeIsMaterialized() {
        PyroProcess.Result r = pyro(home, "runtime", "materialize", ENV);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
    }

    static JsonNode json(PyroProcess.Result r) {
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        return JSON.readTree(r.out());
    }

    @Test
    void fourCliProcessesCreateExecAndDeleteAtOnce() {
        List<CompletableFuture<String>> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int n = i;
            all.add(CompletableFuture.supplyAsync(() -> {
                String id = json(pyro(home, "workspace", "create", ENV, "--mem-mib", "256", "--json"))
                        .get("workspace_id").asString();
                for (int k = 0; k < 3; k++) {
                    PyroProcess.Result r = pyro(home, "workspace", "exec", id, "--", "sh", "-c",
                            "echo " + n + "-" + k + " >> /workspace/log; cat /workspace/log | wc -l");
                    assertThat(r.exitCode()).as(r.stderr()).isZero();
                    assertThat(r.out().strip()).isEqualTo(Integer.toString(k + 1));
                }
                JsonNode logs = json(pyro(home, "workspace", "logs", id, "--json"));
                assertThat(logs.get("count").asInt()).isEqualTo(3);
                assertThat(pyro(home, "workspace", "delete", id).exitCode()).isZero();
                return id;
            }));
        }
        List<String> ids = all.stream().map(CompletableFuture::join).toList();
        assertThat(ids).doesNotHaveDuplicates();
        assertThat(json(pyro(home, "workspace", "list", "--json")).get("count").asInt()).isZero();
        assertThat(PyroProcess.qemuProcesses(home.toString())).isEmpty();
    }

    @Test
    void killingTheCliMidCreateLeavesAFailedWorkspaceThatStartsAgain(@TempDir Path ownHome) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(PyroProcess.LAUNCHER.toString(), "workspace", "create", ENV)
                .directory(ROOT.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("PYRO_HOME", ownHome.toString());
        Process cli = pb.start();
        // wait until its QEMU runs (the guest is booting), then kill the CLI without warning
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(() -> !PyroProcess.qemuProcesses(ownHome.toString()).isEmpty());
        new ProcessBuilder("kill", "-9", Long.toString(cli.pid())).start().waitFor();
        cli.waitFor();

        JsonNode list = json(pyro(ownHome, "workspace", "list", "--json"));
        assertThat(list.get("count").asInt()).isEqualTo(1);
        JsonNode w = list.get("workspaces").get(0);
        String id = w.get("workspace_id").asString();
        // Depending on when the kill landed: the boot was interrupted (failed, its QEMU killed),
        // or the create got as far as recording it started (then the VM runs on).
        if (w.get("state").asString().equals("failed")) {
            assertThat(w.get("last_error").asString()).contains("interrupted");
            assertThat(PyroProcess.qemuProcesses(ownHome.toString())).isEmpty();
            assertThat(json(pyro(ownHome, "workspace", "start", id, "--json")).get("state").asString()).isEqualTo("started");
        } else {
            assertThat(w.get("state").asString()).isEqualTo("started");
        }
        PyroProcess.Result r = pyro(ownHome, "workspace", "exec", id, "--", "echo", "alive");
        assertThat(r.out()).isEqualTo("alive\n");
        assertThat(pyro(ownHome, "workspace", "delete", id).exitCode()).isZero();
        assertThat(PyroProcess.qemuProcesses(ownHome.toString())).isEmpty();
    }

    @Test
    void killingTheVmmShowsFailedAndStartWorks(@TempDir Path ownHome) throws Exception {
        String id = json(pyro(ownHome, "vm", "create", ENV, "--json")).get("vm_id").asString();
        JsonNode started = json(pyro(ownHome, "vm", "start", id, "--json"));
        long pid = started.get("pid").asLong();
        new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
        JsonNode status = json(pyro(ownHome, "vm", "status", id, "--json"));
        assertThat(status.get("state").asString()).isEqualTo("failed");
        assertThat(status.get("last_error").asString()).contains("no longer running");
        assertThat(json(pyro(ownHome, "vm", "start", id, "--json")).get("state").asString()).isEqualTo("started");
        assertThat(pyro(ownHome, "vm", "delete", id).exitCode()).isZero();
        assertThat(PyroProcess.qemuProcesses(ownHome.toString())).isEmpty();
    }

    @Test
    void badInputIsOneLineWithTheFix(@TempDir Path ownHome) {
        PyroProcess.Result unknown = pyro(ownHome, "workspace", "status", "nope");
        assertThat(unknown.exitCode()).isNotZero();
        assertThat(unknown.stderr()).startsWith("pyro: error: unknown workspace 'nope'");
        String id = json(pyro(ownHome, "workspace", "create", ENV, "--json")).get("workspace_id").asString();
        assertThat(pyro(ownHome, "workspace", "stop", id).exitCode()).isZero();
        PyroProcess.Result stopped = pyro(ownHome, "workspace", "exec", id, "--", "true");
        assertThat(stopped.exitCode()).isNotZero();
        assertThat(stopped.stderr()).contains("is stopped; start it with: pyro workspace start " + id);
        PyroProcess.Result noCommand = pyro(ownHome, "workspace", "exec", id);
        assertThat(noCommand.stderr()).contains("no command given");
        assertThat(pyro(ownHome, "task", "delete", id).exitCode()).isZero(); // the reference's alias
        for (PyroProcess.Result r : List.of(unknown, stopped, noCommand)) {
            assertThat(r.stderr().strip().lines()).hasSize(1);
            assertThat(r.stderr()).doesNotContain("Exception");
        }
    }
}
