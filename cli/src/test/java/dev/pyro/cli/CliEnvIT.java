package dev.pyro.cli;

import static dev.pyro.cli.PyroProcess.ROOT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code pyro env} end to end through the real launcher and a real registry (Debian's
 * docker-registry on loopback): publish from the shared cache, then in an empty cache list,
 * pull, inspect, run and prune, with --json and in human mode; and the one-line errors.
 */
class CliEnvIT {
    static final String ENV = "debian:12-base";
    static final Path REGISTRY_BINARY = Path.of("/usr/bin/docker-registry");
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path dir;

    static Process registry;
    static String address;
    static String digest;

    @BeforeAll
    static void publish() throws Exception {
        assumeTrue(Files.isExecutable(REGISTRY_BINARY), "needs Debian's docker-registry: apt-get install -y docker-registry");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        address = "127.0.0.1:" + port;
        Path config = dir.resolve("registry.yml");
        Files.writeString(config, "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n"
                + "  filesystem:\n    rootdirectory: " + dir.resolve("storage") + "\nhttp:\n  addr: " + address + "\n");
        registry = new ProcessBuilder(REGISTRY_BINARY.toString(), "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        awaitRegistry();

        PyroProcess.Result materialize = pyro(Map.of(), "runtime", "materialize", ENV);
        assertThat(materialize.exitCode()).as(materialize.stderr()).isZero();
        PyroProcess.Result published = pyro(Map.of(), "env", "publish", ENV, "--to", address + "/pyro/debian:12-base",
                "--json");
        assertThat(published.exitCode()).as(published.stderr()).isZero();
        JsonNode json = JSON.readTree(published.out());
        digest = json.get("digest").asString();
        assertThat(digest).startsWith("sha256:");
        assertThat(json.get("layers").valueStream().map(l -> l.get("title").asString()).toList())
                .containsExactly("config", "manifest.json", "bzImage", "vmlinux", "rootfs.ext4");
    }

    @AfterAll
    static void stop() throws Exception {
        if (registry != null) {
            registry.destroy();
            registry.waitFor(10, TimeUnit.SECONDS);
        }
    }

    static PyroProcess.Result pyro(Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of(PyroProcess.LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        return PyroProcess.run(dir.resolve("home"), env, ROOT, cmd);
    }

    @Test
    void listPullInspectRunPruneInAnEmptyCache() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("PYRO_CACHE_DIR", dir.resolve("cache").toString());
        env.put("PYRO_REGISTRY", address + "/pyro");

        PyroProcess.Result list = pyro(env, "env", "list", "--json");
        assertThat(list.exitCode()).isZero();
        JsonNode environments = JSON.readTree(list.out()).get("environments");
        assertThat(environments.valueStream().map(e -> e.get("name").asString()).toList())
                .containsExactly("debian:12", "debian:12-base", "debian:12-build");
        environments.valueStream().forEach(e -> {
            assertThat(e.get("installed").asBoolean()).isFalse();
            assertThat(e.get("default").asBoolean()).isEqualTo(e.get("name").asString().equals("debian:12"));
            for (String field : List.of("description", "version", "source", "size_bytes", "digest", "state", "capabilities")) {
                assertThat(e.has(field)).as(field).isTrue();
            }
        });

        PyroProcess.Result pull = pyro(env, "env", "pull", ENV);
        assertThat(pull.exitCode()).as(pull.stderr()).isZero();
        assertThat(pull.out()).startsWith(ENV + " pulled from " + address + "/pyro/debian:12-base\n  digest " + digest);
        assertThat(pull.stderr()).contains("[pull] downloading rootfs.ext4");

        PyroProcess.Result human = pyro(env, "env", "list");
        assertThat(human.out()).containsPattern("debian:12-base +yes +pulled +[0-9.]+ MiB +" + digest.substring(0, 19));

        PyroProcess.Result inspect = pyro(env, "env", "inspect", ENV, "--json");
        JsonNode details = JSON.readTree(inspect.out());
        assertThat(details.get("source").asString()).isEqualTo("pulled");
        assertThat(details.get("digest").asString()).isEqualTo(digest);
        assertThat(details.get("kernel").get("release").asString()).isEqualTo("6.1.192-pyro");
        assertThat(details.get("package_count").asInt()).isGreaterThan(50);
        assertThat(pyro(env, "env", "inspect", ENV).out()).contains("source:        pulled", "procps");

        PyroProcess.Result run = pyro(env, "run", ENV, "--", "cat", "/etc/hostname");
        assertThat(run.exitCode()).as(run.stderr()).isZero();
        assertThat(run.out()).isEqualTo("pyro\n");

        PyroProcess.Result status = pyro(env, "runtime", "status");
        assertThat(status.out()).containsPattern("debian:12-base +installed +pulled .*vm_boot=yes guest_exec=yes");

        PyroProcess.Result prune = pyro(env, "env", "prune", "--json");
        assertThat(prune.exitCode()).isZero();
        JsonNode pruned = JSON.readTree(prune.out());
        assertThat(pruned.get("removed").size()).isZero();
        assertThat(pruned.get("kept").valueStream().map(JsonNode::asString).toList())
                .anyMatch(k -> k.startsWith("debian:12-base (pulled "));
    }

    @Test
    void badInputIsOneLineWithTheFix() {
        Map<String, String> env = Map.of("PYRO_CACHE_DIR", dir.resolve("errors").toString());
        PyroProcess.Result noRegistry = pyro(env, "env", "pull", "debian:12");
        assertThat(noRegistry.exitCode()).isEqualTo(2);
        assertThat(noRegistry.out()).isEmpty();
        assertThat(noRegistry.stderr()).isEqualTo("pyro: error: no registry to pull debian:12 from; set PYRO_REGISTRY to a"
                + " registry and repository prefix (e.g. registry.example:5000/pyro) or pull a full reference: pyro env"
                + " pull REGISTRY/REPOSITORY:TAG\n");

        PyroProcess.Result malformed = pyro(env, "env", "pull", address + "/Pyro/debian:12");
        assertThat(malformed.exitCode()).isEqualTo(2);
        assertThat(malformed.stderr()).startsWith("pyro: error: '" + address + "/Pyro/debian:12' is not a valid OCI"
                + " reference").doesNotContain("\tat ");

        PyroProcess.Result unknownTag = pyro(env, "env", "pull", address + "/pyro/debian:nope");
        assertThat(unknownTag.exitCode()).isEqualTo(1);
        // Progress lines, then exactly one error line.
        assertThat(unknownTag.stderr().lines().filter(l -> l.startsWith("pyro: error: ")).toList()).singleElement()
                .asString().contains("has no tag 'nope' in pyro/debian");
        assertThat(unknownTag.stderr().lines().toList()).allMatch(l -> l.startsWith("[pull] ") || l.startsWith("pyro: error: "));

        PyroProcess.Result unknownEnv = pyro(env, "env", "inspect", "debian:13");
        assertThat(unknownEnv.exitCode()).isEqualTo(2);
        assertThat(unknownEnv.stderr()).isEqualTo("pyro: error: unknown environment 'debian:13'; known environments:"
                + " debian:12, debian:12-base, debian:12-build\n");

        PyroProcess.Result badVariable = pyro(Map.of("PYRO_REGISTRY", "https://x.example/p"), "env", "list");
        assertThat(badVariable.exitCode()).isEqualTo(2);
        assertThat(badVariable.stderr()).startsWith("pyro: error: PYRO_REGISTRY='https://x.example/p' is not a registry");

        PyroProcess.Result down = pyro(Map.of("PYRO_CACHE_DIR", dir.resolve("errors").toString(),
                "PYRO_REGISTRY", "127.0.0.1:1/pyro"), "env", "pull", ENV);
        assertThat(down.exitCode()).isEqualTo(1);
        assertThat(down.stderr()).endsWith("\npyro: error: cannot reach the registry 127.0.0.1:1 (connection refused);"
                + " check that the registry runs and the address in PYRO_REGISTRY or the reference is right\n");
    }

    private static void awaitRegistry() throws Exception {
        for (int i = 0; i < 200; i++) {
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://" + address + "/v2/").toURL().openConnection();
                c.setConnectTimeout(500);
                if (c.getResponseCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        throw new AssertionError("docker-registry did not start: " + Files.readString(dir.resolve("registry.log")));
    }
}
