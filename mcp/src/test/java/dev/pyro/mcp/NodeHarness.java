package dev.pyro.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Runs the Node harnesses under src/test/node against the real launcher, and scans /proc for QEMU. */
final class NodeHarness {
    /** failsafe runs in the module directory; the repository root is its parent. */
    static final Path MODULE = Path.of("").toAbsolutePath();
    static final Path ROOT = MODULE.getParent();
    static final Path LAUNCHER = ROOT.resolve("pyro");
    static final Path HARNESS = MODULE.resolve("src/test/node");
    static final Path CONFORMANCE = HARNESS.resolve("conformance");
    static final JsonMapper JSON = JsonMapper.builder().build();

    record Result(int exitCode, String stdout, String stderr) {
    }

    private NodeHarness() {
    }

    /**
     * Skips the test, naming the install line, unless node and npm are on PATH; with
     * {@code PYRO_REQUIRE_NODE=1} (set by .ci/run, which installs them) it fails instead, so that
     * CI can never pass by skipping the real-client tests.
     */
    static void assumeNodeAndNpm() {
        requireOrSkip(onPath("node").isPresent() && onPath("npm").isPresent(),
                "node and npm are not installed; install them with: apt-get install -y nodejs npm");
    }

    /** An assumption that becomes an assertion under {@code PYRO_REQUIRE_NODE=1}. */
    static void requireOrSkip(boolean condition, String message) {
        if ("1".equals(System.getenv("PYRO_REQUIRE_NODE"))) {
            assertThat(condition).as(message + " (PYRO_REQUIRE_NODE=1)").isTrue();
        }
        Assumptions.assumeTrue(condition, message);
    }

    static Optional<Path> onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** {@code npm ci} in {@code dir} unless its node_modules matches its lock file already. */
    static Result npmCi(Path dir) {
        Path installed = dir.resolve("node_modules/.package-lock.json");
        try {
            if (Files.exists(installed) && Files.getLastModifiedTime(installed).compareTo(
                    Files.getLastModifiedTime(dir.resolve("package-lock.json"))) >= 0) {
                return new Result(0, "", "up to date");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return run(List.of("npm", "ci", "--no-audit", "--no-fund"), dir, Map.of(), Duration.ofMinutes(10));
    }

    /** Builds the CLI jar through the launcher if needed, so that no check pays for the build. */
    static void buildLauncher() {
        Result r = run(List.of(LAUNCHER.toString(), "--version"), ROOT, Map.of(), Duration.ofMinutes(15));
        assertThat(r.exitCode()).as("pyro --version: " + r.stderr()).isZero();
    }

    static Result run(List<String> command, Path dir, Map<String, String> env, Duration timeout) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Thread o = pump(p.getInputStream(), out);
            Thread e = pump(p.getErrorStream(), err);
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new AssertionError("timed out after " + timeout + ": " + command + "\n" + out + "\n" + err);
            }
            o.join();
            e.join();
            return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AssertionError(ex);
        }
    }

    /** A process left running while a test uses it (a helper such as auth-proxy.mjs); killed on close. */
    record Background(Process process, java.io.BufferedReader stdout) implements AutoCloseable {
        /** The first line it prints on stdout. */
        String firstLine(Duration timeout) throws Exception {
            java.util.concurrent.CompletableFuture<String> line = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return stdout.readLine();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            String l = line.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(l).as("first line of " + process.info().commandLine().orElse("?")).isNotNull();
            return l;
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    static Background background(List<String> command, Path dir, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        return new Background(p, new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8)));
    }

    static Thread pump(InputStream in, ByteArrayOutputStream sink) {
        Thread t = new Thread(() -> {
            try (in) {
                in.transferTo(sink);
            } catch (IOException ignored) {
                // the process went away
            }
        });
        t.start();
        return t;
    }

    /**
     * Runs a harness script and asserts that it reported at least one check and that every check
     * passed; prints each check's line on stderr for the test log.
     */
    static List<JsonNode> runChecks(String script, Map<String, String> env, Duration timeout) {
        Result r = run(List.of("node", HARNESS.resolve(script).toString()), HARNESS, env, timeout);
        List<JsonNode> checks = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (String line : r.stdout().split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode c = JSON.readTree(line);
            System.err.println("[" + script + "] " + line);
            checks.add(c);
            if (!c.get("ok").asBoolean()) {
                failed.add(c.get("check").asString() + ": " + c.get("detail").asString());
            }
        }
        assertThat(failed).as("failed checks of " + script + "; harness stderr:\n" + r.stderr()).isEmpty();
        assertThat(checks).as("checks reported by " + script + "; stderr:\n" + r.stderr()).isNotEmpty();
        assertThat(r.exitCode()).as(script + " exit code; stderr:\n" + r.stderr()).isZero();
        return checks;
    }

    /** The tool names each profile must list, as the harness wants them ({@code default} too). */
    static String expectedToolsByProfile() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("default", names(Profile.DEFAULT));
        for (Profile p : Profile.values()) {
            m.put(p.wireName(), names(p));
        }
        return JSON.writeValueAsString(m);
    }

    static List<String> names(Profile p) {
        return ToolCatalog.forProfile(p, List.of(), dev.pyro.HostAccess.unrestricted()).stream().map(PyroTool::name).toList();
    }

    /** Pids of QEMU processes whose command line mentions {@code marker} (a test's PYRO_HOME). */
    static List<Long> qemuProcesses(String marker) {
        List<Long> pids = new ArrayList<>();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.toList()) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8)
                            .replace('\0', ' ');
                    if (cmdline.contains("qemu-system") && cmdline.contains(marker)) {
                        pids.add(Long.parseLong(name));
                    }
                } catch (IOException gone) {
                    // exited while we looked
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pids;
    }
}
