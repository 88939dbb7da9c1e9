package dev.pyro.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.PyroException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsAndPathsTest {
    private static final Path HOME = Path.of("/home/u");

    @Test
    void defaultPathsFollowXdgOrHome() {
        RuntimePaths plain = RuntimePaths.fromEnvironment(Map.of(), HOME);
        assertThat(plain.cacheDir()).isEqualTo(Path.of("/home/u/.cache/pyro"));
        assertThat(plain.homeDir()).isEqualTo(Path.of("/home/u/.local/share/pyro"));
        assertThat(plain.runtimeDir()).isEqualTo(Path.of("/home/u/.cache/pyro/runtime/linux-x86_64"));
        assertThat(plain.lockFile()).isEqualTo(Path.of("/home/u/.cache/pyro/runtime/linux-x86_64/runtime.lock.json"));
        assertThat(plain.environmentDir("debian-12-base"))
                .isEqualTo(Path.of("/home/u/.cache/pyro/runtime/linux-x86_64/environments/debian-12-base"));
        assertThat(plain.sourcesDir()).isEqualTo(Path.of("/home/u/.cache/pyro/sources"));
        assertThat(plain.buildDir()).isEqualTo(Path.of("/home/u/.cache/pyro/build"));

        RuntimePaths xdg = RuntimePaths.fromEnvironment(Map.of("XDG_CACHE_HOME", "/x/cache", "XDG_DATA_HOME", "/x/data"), HOME);
        assertThat(xdg.cacheDir()).isEqualTo(Path.of("/x/cache/pyro"));
        assertThat(xdg.homeDir()).isEqualTo(Path.of("/x/data/pyro"));

        // The XDG spec says relative values are invalid and must be ignored.
        RuntimePaths relative = RuntimePaths.fromEnvironment(Map.of("XDG_CACHE_HOME", "cache"), HOME);
        assertThat(relative.cacheDir()).isEqualTo(Path.of("/home/u/.cache/pyro"));

        RuntimePaths explicit = RuntimePaths.fromEnvironment(Map.of("PYRO_CACHE_DIR", "/c", "PYRO_HOME", "/h",
                "XDG_CACHE_HOME", "/x/cache"), HOME);
        assertThat(explicit.cacheDir()).isEqualTo(Path.of("/c"));
        assertThat(explicit.homeDir()).isEqualTo(Path.of("/h"));
    }

    @Test
    void settingsFromEnvironment() {
        RuntimeSettings none = RuntimeSettings.fromEnvironment(Map.of());
        assertThat(none).isEqualTo(RuntimeSettings.defaults());
        RuntimeSettings all = RuntimeSettings.fromEnvironment(Map.of(
                "PYRO_KERNEL_SOURCE_VERSION", "6.1.192-1", "PYRO_KERNEL_BUILD_JOBS", "1",
                "PYRO_DEBIAN_MIRROR", "http://mirror.example/debian", "PYRO_NO_AUTO_INSTALL", "1"));
        assertThat(all.kernelSourceVersion()).contains("6.1.192-1");
        assertThat(all.kernelBuildJobs()).hasValue(1);
        assertThat(all.debianMirror()).contains("http://mirror.example/debian");
        assertThat(all.autoInstall()).isFalse();
    }

    @Test
    void malformedSettingsNameTheVariable() {
        assertThatThrownBy(() -> RuntimeSettings.fromEnvironment(Map.of("PYRO_KERNEL_BUILD_JOBS", "0")))
                .isInstanceOfSatisfying(PyroException.class,
                        e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.INVALID_ARGUMENT))
                .hasMessageStartingWith("PYRO_KERNEL_BUILD_JOBS='0' is not a positive number");
        assertThatThrownBy(() -> RuntimeSettings.fromEnvironment(Map.of("PYRO_KERNEL_SOURCE_VERSION", "latest")))
                .hasMessageStartingWith("PYRO_KERNEL_SOURCE_VERSION='latest' is not a Debian package version");
        assertThatThrownBy(() -> RuntimeSettings.fromEnvironment(Map.of("PYRO_DEBIAN_MIRROR", "deb.debian.org")))
                .hasMessageStartingWith("PYRO_DEBIAN_MIRROR='deb.debian.org' is not a mirror URL");
    }

    @Test
    void mirrorFromOverrideHostSourcesOrDefault() {
        String deb822 = String.join("\n",
                "Types: deb",
                "URIs: http://deb.debian.org/debian-security",
                "Suites: bookworm-security",
                "Components: main",
                "",
                "Types: deb",
                "URIs: http://local.mirror/debian/",
                "Suites: bookworm bookworm-updates",
                "Components: main contrib",
                "");
        String oneLine = "# a comment\ndeb [signed-by=/k.gpg] http://one.line/debian bookworm main\n";
        assertThat(DebianMirror.fromSources("bookworm", java.util.List.of(deb822))).contains("http://local.mirror/debian");
        assertThat(DebianMirror.fromSources("bookworm", java.util.List.of(oneLine))).contains("http://one.line/debian");
        assertThat(DebianMirror.fromSources("trixie", java.util.List.of(deb822, oneLine))).isEmpty();
        assertThat(DebianMirror.select(java.util.Optional.of("http://m/debian/"), "bookworm", Path.of("/nonexistent")))
                .isEqualTo("http://m/debian");
        assertThat(DebianMirror.select(java.util.Optional.empty(), "bookworm", Path.of("/nonexistent")))
                .isEqualTo(DebianMirror.DEFAULT);
    }
}
