package dev.pyro.cli;

import static dev.pyro.cli.PyroProcess.ROOT;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Broken hosts and broken runtimes: each gives one line on stderr naming the fix, a non-zero
 * exit, no stack trace, and no QEMU left running.
 */
class CliFailureIT {
    static final String ENV = "debian:12-base";

    static void assertOneLineError(PyroProcess.Result r, int exitCode, String... mustContain) {
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(exitCode);
        List<String> errors = r.stderr().lines().filter(l -> l.startsWith("pyro: error: ")).toList();
        assertThat(errors).as(r.stderr()).hasSize(1);
        assertThat(errors.get(0)).contains(mustContain);
        assertThat(r.stderr()).doesNotContain("Exception", "\tat ");
        assertThat(r.out()).isEmpty();
    }

    static PyroProcess.Result jar(Path home, Map<String, String> env, String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", PyroProcess.JAR.toString()));
        cmd.addAll(List.of(args));
        return PyroProcess.run(home, env, ROOT, cmd);
    }

    @Test
    void qemuMissing(@TempDir Path home) {
        PyroProcess.Result r = jar(home, Map.of("PYRO_QEMU", "/nonexistent/qemu-system-x86_64"),
                "run", ENV, "--", "true");
        assertOneLineError(r, 125, "PYRO_QEMU=/nonexistent/qemu-system-x86_64", "qemu-system-x86_64");

        // no PYRO_QEMU, no QEMU on PATH, not allowed to install: the apt-get line
        PyroProcess.Result onPath = jar(home, Map.of("PATH", "/nonexistent", "PYRO_NO_AUTO_INSTALL", "1"),
                "run", ENV, "--", "true");
        assertOneLineError(onPath, 125, "apt-get install", "qemu-system-x86");
        assertThat(PyroProcess.qemuProcesses(home.toString())).isEmpty();
    }

    @Test
    void runtimeNotBuiltAndNotBuildable(@TempDir Path home, @TempDir Path emptyCache) {
        // A fresh cache and no build tools reachable (nor allowed to be installed).
        PyroProcess.Result r = jar(home, Map.of("PYRO_CACHE_DIR", emptyCache.toString(), "PATH", "/nonexistent",
                "PYRO_NO_AUTO_INSTALL", "1"), "run", ENV, "--", "true");
        assertOneLineError(r, 125, "apt-get install");
        assertThat(r.stderr()).doesNotContain("Exception");
    }

    @Test
    void corruptRootImageKeepingItsSizeAndTime(@TempDir Path home, @TempDir Path cache) throws Exception {
        Path image = copyRuntime(cache);
        FileTime mtime = Files.getLastModifiedTime(image);
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            // wipe the ext4 superblock (offset 1024) and the start of the group descriptors
            f.seek(1024);
            f.write(new byte[8192]);
        }
        Files.setLastModifiedTime(image, mtime); // the cheap check cannot see it: the boot must
        PyroProcess.Result r = jar(home, Map.of("PYRO_CACHE_DIR", cache.toString()), "run", ENV, "--", "true");
        assertOneLineError(r, 125, "pyro runtime build-rootfs " + ENV);
        assertThat(PyroProcess.qemuProcesses(home.toString())).isEmpty();

        // a full verification names the corruption too
        PyroProcess.Result status = jar(home, Map.of("PYRO_CACHE_DIR", cache.toString()),
                "runtime", "status", "--verify", "--json");
        JsonNode json = JsonMapper.builder().build().readTree(status.out());
        assertThat(json.get("components").valueStream()
                .filter(c -> c.get("name").asString().equals("rootfs:" + ENV))
                .findFirst().orElseThrow().get("state").asString()).isEqualTo("corrupt");
    }

    @Test
    void truncatedRootImageIsCaughtBeforeBooting(@TempDir Path home, @TempDir Path cache) throws Exception {
        Path image = copyRuntime(cache);
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        PyroProcess.Result r = jar(home, Map.of("PYRO_CACHE_DIR", cache.toString()), "run", ENV, "--", "true");
        assertOneLineError(r, 125, "corrupt", "pyro runtime build-rootfs " + ENV + " --force");
        assertThat(PyroProcess.qemuProcesses(home.toString())).isEmpty();
        assertThat(home.resolve("runs")).doesNotExist();
    }

    /**
     * Copies the shared cache's materialised runtime (made by CliRunIT / run-tests) into
     * {@code cache}, so that a test can break its copy; returns the copied root image.
     */
    static Path copyRuntime(Path cache) throws IOException, InterruptedException {
        Path shared = Path.of(System.getProperty("user.home"), ".cache", "pyro");
        String sharedEnv = System.getenv("PYRO_CACHE_DIR");
        if (sharedEnv != null && !sharedEnv.isBlank()) {
            shared = Path.of(sharedEnv);
        }
        PyroProcess.Result materialize = jar(cache.resolveSibling(cache.getFileName() + "-home"),
                Map.of("PYRO_CACHE_DIR", shared.toString()), "runtime", "materialize", ENV);
        assertThat(materialize.exitCode()).as(materialize.stderr()).isZero();
        PyroProcess.Result status = jar(cache.resolveSibling(cache.getFileName() + "-home"),
                Map.of("PYRO_CACHE_DIR", shared.toString()), "runtime", "status", "--json");
        Path sharedImage = Path.of(JsonMapper.builder().build().readTree(status.out()).get("components").valueStream()
                .filter(c -> c.get("name").asString().equals("rootfs:" + ENV))
                .findFirst().orElseThrow().get("path").asString());
        Process cp = new ProcessBuilder("cp", "-a", "--reflink=auto", shared.resolve("runtime").toString(),
                cache.resolve("runtime").toString()).inheritIO().start();
        assertThat(cp.waitFor()).isZero();
        return cache.resolve(shared.relativize(sharedImage));
    }
}
