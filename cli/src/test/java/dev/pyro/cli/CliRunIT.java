package dev.pyro.cli;

import static dev.pyro.cli.PyroProcess.ROOT;
import static dev.pyro.cli.PyroProcess.pyro;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The CLI front-end end to end: the real launcher, real VMs, as a user runs them. */
class CliRunIT {
    static final String ENV = "debian:12-base";

    @TempDir
    static Path home;

    @BeforeAll
    static void runtimeIsMaterialized() {
        PyroProcess.Result r = pyro(home, "runtime", "materialize", ENV);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
    }

    @Test
    void humanModeStreamsOutputAndExitsWithTheCommandsCode() {
        PyroProcess.Result r = pyro(home, "run", ENV, "--", "sh", "-c", "echo out; echo err >&2; exit 42");
        assertThat(r.exitCode()).isEqualTo(42);
        assertThat(r.out()).isEqualTo("out\n");
        // routine boot progress is not logged when stderr is not a terminal: only the command's stderr
        assertThat(r.stderr()).isEqualTo("err\n");
    }

    @Test
    void jsonModePrintsOneObjectWithTheResultAndTimings() {
        PyroProcess.Result r = pyro(home, "run", "--json", ENV, "--", "uname", "-r");
        assertThat(r.exitCode()).isZero();
        JsonNode json = JsonMapper.builder().build().readTree(r.out());
        for (String field : List.of("environment", "engine", "accel", "execution_mode", "exit_code", "stdout", "stderr",
                "timed_out", "duration_ms", "boot_ms", "exec_ms", "teardown_ms")) {
            assertThat(json.has(field)).as(field).isTrue();
        }
        assertThat(json.get("environment").asString()).isEqualTo(ENV);
        assertThat(json.get("engine").asString()).isEqualTo("qemu");
        assertThat(json.get("accel").asString()).isIn("kvm", "tcg");
        assertThat(json.get("execution_mode").asString()).isEqualTo("guest_virtio_serial");
        assertThat(json.get("stdout").asString()).endsWith("-pyro\n");
        assertThat(json.get("timed_out").asBoolean()).isFalse();
        assertThat(json.get("boot_ms").asLong()).isPositive();
        assertThat(r.stderr()).isEmpty();
    }

    @Test
    void binaryOutputPassesThroughStdoutByteExact() {
        PyroProcess.Result r = pyro(home, "run", ENV, "--", "printf", "\\000\\377\\376abc");
        assertThat(r.stdout()).containsExactly(0, 0xff, 0xfe, 'a', 'b', 'c');
    }

    @Test
    void timeoutEndsWith124AndANote() {
        PyroProcess.Result r = pyro(home, "run", "--timeout-seconds", "2", ENV, "--", "sleep", "100");
        assertThat(r.exitCode()).isEqualTo(124);
        assertThat(r.stderr()).contains("timed out after 2 s");
    }

    @Test
    void launcherWorksFromAnyDirectoryAndThroughASymlinkOnPath(@TempDir Path elsewhere) throws Exception {
        Path bin = Files.createDirectories(elsewhere.resolve("bin"));
        Files.createSymbolicLink(bin.resolve("pyro"), PyroProcess.LAUNCHER);
        Map<String, String> env = Map.of("PATH", bin + ":" + System.getenv("PATH"));
        // a shell resolves "pyro" through the PATH given to it, as a user's shell would
        PyroProcess.Result version = PyroProcess.run(home, env, elsewhere, List.of("sh", "-c", "pyro --version"));
        assertThat(version.exitCode()).as(version.stderr()).isZero();
        assertThat(version.out()).startsWith("pyro ");
        PyroProcess.Result run = PyroProcess.run(home, env, elsewhere,
                List.of("sh", "-c", "pyro run " + ENV + " -- echo hi"));
        assertThat(run.exitCode()).as(run.stderr()).isZero();
        assertThat(run.out()).isEqualTo("hi\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"TERM", "INT", "KILL"})
    void killingTheCliMidRunLeavesNoQemu(String signal, @TempDir Path ownHome) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(PyroProcess.LAUNCHER.toString(), "run", ENV, "--",
                "sh", "-c", "echo started; sleep 120").directory(ROOT.toFile());
        pb.environment().put("PYRO_HOME", ownHome.toString());
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process cli = pb.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(cli.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("started"); // the guest command runs
            assertThat(PyroProcess.qemuProcesses(ownHome.toString())).hasSize(1);
            new ProcessBuilder("kill", "-s", signal, Long.toString(cli.pid())).inheritIO().start().waitFor();
            await().atMost(Duration.ofSeconds(20)).until(() -> !cli.isAlive());
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .until(() -> PyroProcess.qemuProcesses(ownHome.toString()).isEmpty());
        } finally {
            cli.destroyForcibly();
        }
    }

    @Test
    void doctorReportsTheHostAndTheRuntime() {
        PyroProcess.Result r = pyro(home, "doctor", "--json");
        JsonNode json = JsonMapper.builder().build().readTree(r.out());
        assertThat(json.get("platform").asString()).isEqualTo("linux-x86_64");
        assertThat(json.get("qemu").get("found").asBoolean()).isTrue();
        assertThat(json.get("qemu").get("version").asString()).isNotBlank();
        JsonNode kvm = json.get("kvm");
        assertThat(kvm.get("exists").asBoolean()).isEqualTo(Files.exists(Path.of("/dev/kvm")));
        if (kvm.get("exists").asBoolean()) {
            // a real probe ran: a verdict and its reason
            assertThat(kvm.get("usable").isBoolean()).isTrue();
            assertThat(kvm.get("detail").asString()).isNotBlank();
        }
        assertThat(json.get("runtime").get("ready").asBoolean()).isTrue();
        assertThat(json.get("capabilities").get("vm_boot").asBoolean()).isTrue();
        assertThat(json.get("capabilities").get("guest_exec").asBoolean()).isTrue();
        // materialize proves guest_network (a real fetch from a guest) whenever passt is installed
        boolean passt = Files.isExecutable(Path.of("/usr/bin/passt"));
        assertThat(json.get("capabilities").get("guest_network").asBoolean()).isEqualTo(passt);
        JsonNode net = json.get("networking");
        assertThat(net.get("tun").asBoolean()).isEqualTo(Files.exists(Path.of("/dev/net/tun")));
        assertThat(net.get("passt").get("found").asBoolean()).isEqualTo(passt);
        assertThat(net.get("backends").get("user").get("usable").asBoolean()).isEqualTo(passt);
        assertThat(net.get("ip_forward").isBoolean()).isTrue();
        assertThat(r.exitCode()).isEqualTo(json.get("ok").asBoolean() ? 0 : 1);

        PyroProcess.Result human = pyro(home, "doctor");
        assertThat(human.out()).contains("QEMU: ", "KVM: exists=", "Capabilities: vm_boot=yes guest_exec=yes",
                "Networking: tun=", "user back end (passt): ", "tap back end (TAP + nftables): ");
    }

    @Test
    void runtimeStatusShowsEveryComponent() {
        PyroProcess.Result r = pyro(home, "runtime", "status", "--json");
        assertThat(r.exitCode()).isZero();
        JsonNode json = JsonMapper.builder().build().readTree(r.out());
        List<String> names = json.get("components").valueStream().map(c -> c.get("name").asString()).toList();
        assertThat(names).containsExactly("kernel", "agent", "rootfs:debian:12", "rootfs:debian:12-base",
                "rootfs:debian:12-build");
        json.get("components").valueStream().forEach(c -> {
            // What this test materialized is ready; the other environments are built on first use.
            if (List.of("kernel", "agent", "rootfs:" + ENV).contains(c.get("name").asString())) {
                assertThat(c.get("state").asString()).isEqualTo("ready");
                assertThat(c.get("sha256").asString()).hasSize(64);
                assertThat(Path.of(c.get("path").asString())).exists();
            } else {
                assertThat(c.get("state").asString()).isIn("ready", "missing", "stale");
            }
        });
        List<String> environments = json.get("environments").valueStream().map(e -> e.get("name").asString()).toList();
        assertThat(environments).containsExactly("debian:12", "debian:12-base", "debian:12-build");
        json.get("environments").valueStream().filter(e -> e.get("name").asString().equals(ENV)).forEach(e -> {
            assertThat(e.get("installed").asBoolean()).isTrue();
            assertThat(e.get("source").asString()).isEqualTo("built");
            assertThat(e.get("digest").asString()).startsWith("sha256:");
            assertThat(e.get("size_bytes").asLong()).isPositive();
        });
    }
}
