package dev.pyro.internal.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/host-packages.sh, which ./pyro and ./run-tests use before any Java runs, against a fake
 * apt (apt-get, apt-cache, dpkg-query and id first on PATH) under the callers' own shell options.
 */
class HostPackagesScriptTest {
    private static final Path SCRIPT = Path.of("..", "scripts", "host-packages.sh").toAbsolutePath().normalize();

    @TempDir
    Path dir;
    private Path bin;

    @BeforeEach
    void fakeApt() throws IOException {
        bin = Files.createDirectories(dir.resolve("bin"));
        Files.createDirectories(dir.resolve("lists"));
        // installed: packages dpkg knows; known: packages the lists have (after update: known-after-update).
        script("dpkg-query", "for a; do p=$a; done; grep -qx \"$p\" " + dir + "/installed 2>/dev/null && printf 'ii ' || printf 'un '");
        script("apt-cache", "if grep -qx \"$2\" " + dir + "/known 2>/dev/null; then printf 'Candidate: 1.0\\n';"
                + " else printf 'Candidate: (none)\\n'; fi");
        script("apt-get", "echo \"$1\" >> " + dir + "/calls\n"
                + "case \"$1\" in update) [ -f " + dir + "/known-after-update ] && cp " + dir + "/known-after-update "
                + dir + "/known; exit 0;;\n"
                + "install) if [ -f " + dir + "/fail-once ]; then rm " + dir + "/fail-once; exit 100; fi;"
                + " for a; do case \"$a\" in -*|install|DPkg*) ;; *) echo \"$a\" >> " + dir + "/installed;; esac; done;;\nesac");
        script("id", "echo ${FAKE_UID:-0}");
    }

    @Test
    void staleListsAreRefreshedThenTheMissingPackagesInstalled() throws Exception {
        Files.writeString(dir.resolve("known"), "pkg-a\npkg-b\n");
        Files.writeString(dir.resolve("installed"), "pkg-a\n");
        Result r = run(Map.of(), "pkg-a", "pkg-b");
        assertThat(r.code).isZero();
        assertThat(calls()).containsExactly("update", "install");
        assertThat(Files.readAllLines(dir.resolve("installed"))).contains("pkg-b");
        assertThat(dir.resolve("cache/pyro/host/apt-lists-updated")).exists();
        assertThat(r.stderr).contains("refreshing the package lists", "installing pkg-b (the suite)");
    }

    @Test
    void freshListsAndKnownPackagesInstallWithoutARefresh() throws Exception {
        Files.writeString(dir.resolve("known"), "pkg-b\n");
        Files.createDirectories(dir.resolve("cache/pyro/host"));
        Files.createFile(dir.resolve("cache/pyro/host/apt-lists-updated"));
        assertThat(run(Map.of(), "pkg-b").code).isZero();
        assertThat(calls()).containsExactly("install");
    }

    @Test
    void anUnknownPackageRefreshesFreshListsOnce() throws Exception {
        Files.writeString(dir.resolve("known"), "");
        Files.writeString(dir.resolve("known-after-update"), "pkg-b\n");
        Files.createDirectories(dir.resolve("cache/pyro/host"));
        Files.createFile(dir.resolve("cache/pyro/host/apt-lists-updated"));
        assertThat(run(Map.of(), "pkg-b").code).isZero();
        assertThat(calls()).containsExactly("update", "install");
    }

    @Test
    void aFailedInstallIsRetriedOnceAfterARefresh() throws Exception {
        Files.writeString(dir.resolve("known"), "pkg-b\n");
        Files.createDirectories(dir.resolve("cache/pyro/host"));
        Files.createFile(dir.resolve("cache/pyro/host/apt-lists-updated"));
        Files.createFile(dir.resolve("fail-once"));
        Result r = run(Map.of(), "pkg-b");
        assertThat(r.code).isZero();
        assertThat(calls()).containsExactly("install", "update", "install");
        assertThat(r.stderr).contains("retrying the install with fresh package lists");
    }

    @Test
    void nothingMissingDoesNothing() throws Exception {
        Files.writeString(dir.resolve("installed"), "pkg-a\n");
        assertThat(run(Map.of(), "pkg-a").code).isZero();
        assertThat(calls()).isEmpty();
    }

    @Test
    void withoutRootItStopsWithTheOneInstallLine() throws Exception {
        Result r = run(Map.of("FAKE_UID", "1000"), "pkg-a", "pkg-b");
        assertThat(r.code).isEqualTo(1);
        assertThat(calls()).isEmpty();
        assertThat(r.stderr.strip()).isEqualTo("test: error: the suite needs packages that are not installed;"
                + " install them with: sudo apt-get install -y --no-install-recommends pkg-a pkg-b");
    }

    private record Result(int code, String stderr) {
    }

    private Result run(Map<String, String> extraEnv, String... packages) throws Exception {
        String cmd = "set -euo pipefail; HOST_PACKAGES_NAME=test; . " + SCRIPT + "; host_packages_ensure 'the suite' "
                + String.join(" ", packages);
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Map<String, String> env = pb.environment();
        env.put("PATH", bin + ":/usr/bin:/bin");
        env.put("PYRO_CACHE_DIR", dir.resolve("cache/pyro").toString());
        env.put("HOST_PACKAGES_LISTS_DIR", dir.resolve("lists").toString());
        env.remove("PYRO_NO_AUTO_INSTALL");
        env.putAll(new HashMap<>(extraEnv));
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes());
        return new Result(p.waitFor(), err);
    }

    private List<String> calls() throws IOException {
        Path calls = dir.resolve("calls");
        return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
    }

    private void script(String name, String body) throws IOException {
        Path file = bin.resolve(name);
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
