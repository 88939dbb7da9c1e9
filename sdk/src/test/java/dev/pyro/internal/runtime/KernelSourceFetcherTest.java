package dev.pyro.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.ProgressEvent;
import dev.pyro.ProgressListener;
import dev.pyro.PyroException;
import dev.pyro.internal.host.AptLists;
import dev.pyro.internal.host.HostTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which kernel source gets built, against a fake apt: {@code apt-cache} and {@code apt-get}
 * scripts first on the search path answer from files this test writes (the versions the
 * "mirror" serves now, and after an {@code apt-get update}). So the pin's fate on the real
 * mirrors never decides these tests; KernelSourceIT downloads from the real ones.
 */
class KernelSourceFetcherTest {
    private static final String PIN = "6.1.192-2";
    private static final String NEWER = "6.1.192-3";
    private static final String OLDER = "6.1.176-1";

    @TempDir
    Path dir;

    private Path fakeBin;
    private Path mirror;
    private final KernelSource pinned = Recipes.fromClasspath().kernelSource().withVersion(PIN, sha(PIN));
    private final List<ProgressEvent> events = new ArrayList<>();

    @BeforeEach
    void fakeApt() throws IOException {
        fakeBin = Files.createDirectories(dir.resolve("bin"));
        mirror = Files.createDirectories(dir.resolve("mirror"));
        // served: the versions in the package lists now; served-after-update: after apt-get update.
        script("apt-cache", """
                #!/bin/sh
                m=%s
                case "$1" in
                madison)
                    while read -r v; do
                        [ -n "$v" ] && echo " $2 | $v | http://fake.example/debian-security bookworm-security/main amd64 Packages"
                    done < "$m/served"
                    ;;
                show)
                    pkgver=$3; v=${pkgver#*=}
                    grep -qx "$v" "$m/served" || { echo "E: Version '$v' for '${pkgver%%=*}' was not found" >&2; exit 100; }
                    printf 'Package: %%s\\nVersion: %%s\\nSize: 10\\nSHA256: %%s\\n\\n' "${pkgver%%=*}" "$v" "$(printf '%%s' "$v" | sha256sum | cut -d' ' -f1)"
                    ;;
                esac
                """.formatted(mirror));
        script("apt-get", """
                #!/bin/sh
                m=%s
                echo "$*" >> "$m/apt-get.log"
                case "$1" in
                update) [ -f "$m/served-after-update" ] && cp "$m/served-after-update" "$m/served"; exit 0 ;;
                download) for a; do case "$a" in *=*) v=${a#*=}; printf '%%s' "$v" > "linux-source-6.1_${v}_all.deb" ;; esac; done ;;
                esac
                """.formatted(mirror));
    }

    @Test
    void thePinIsBuiltWhileTheMirrorsServeIt() throws IOException {
        serve(NEWER, PIN, OLDER);
        KernelSourceFetcher.Chosen chosen = fetcher(Optional.empty(), false).choose(pinned, progress());
        assertThat(chosen.choice()).isEqualTo(KernelSourceFetcher.Choice.PIN);
        assertThat(chosen.source()).isEqualTo(pinned);
        assertThat(aptGetCalls()).isEmpty();
    }

    @Test
    void aPinNoLongerServedFallsBackToTheNewestServedVersionAndSaysSo() throws IOException {
        serve(OLDER, NEWER);
        KernelSourceFetcher.Chosen chosen = fetcher(Optional.empty(), false).choose(pinned, progress());
        assertThat(chosen.choice()).isEqualTo(KernelSourceFetcher.Choice.FALLBACK);
        assertThat(chosen.pinned()).isEqualTo(pinned);
        assertThat(chosen.source().version()).isEqualTo(NEWER);
        assertThat(chosen.source().sha256()).isEqualTo(sha(NEWER));
        assertThat(chosen.source().filename()).isEqualTo("linux-source-6.1_" + NEWER + "_all.deb");
        assertThat(events).extracting(ProgressEvent::message).contains("linux-source-6.1 " + PIN
                + " (pinned in kernel/source.json) is no longer served by the apt mirrors; building from the newest"
                + " served version, " + NEWER);
        // ... and the fallback downloads and verifies like the pin would.
        Path deb = fetcher(Optional.empty(), false).fetch(chosen.source(), progress());
        assertThat(deb).hasContent(NEWER);
    }

    @Test
    void stalePackageListsAreRefreshedOnceBeforeFallingBack() throws IOException {
        serve(OLDER);
        Files.writeString(mirror.resolve("served-after-update"), NEWER + "\n" + PIN + "\n");
        KernelSourceFetcher.Chosen chosen = fetcher(Optional.empty(), true).choose(pinned, progress());
        assertThat(chosen.choice()).isEqualTo(KernelSourceFetcher.Choice.PIN);
        assertThat(aptGetCalls()).containsExactly("update -o APT::Status-Fd=1");
        assertThat(events).extracting(ProgressEvent::message).anyMatch(m -> m.startsWith(
                "refreshing the package lists (the pinned linux-source-6.1 " + PIN + " is not in the package lists"));
    }

    @Test
    void nothingServedIsAOneLineErrorThatNamesTheFix() throws IOException {
        serve();
        assertThatThrownBy(() -> fetcher(Optional.empty(), false).choose(pinned, progress()))
                .isInstanceOfSatisfying(PyroException.class, e -> {
                    assertThat(e.kind()).isEqualTo(PyroException.Kind.BUILD_FAILED);
                    assertThat(e.getMessage()).isEqualTo("linux-source-6.1 " + PIN + " (pinned in kernel/source.json)"
                            + " is not served by the apt mirrors, nor any newer version (served: none); add the Debian"
                            + " security mirror (bookworm-security) to /etc/apt/sources.list.d and run apt-get update");
                });
    }

    @Test
    void onlyOlderVersionsServedIsRefusedRatherThanBuildingAnOlderKernel() throws IOException {
        serve(OLDER);
        assertThatThrownBy(() -> fetcher(Optional.empty(), false).choose(pinned, progress()))
                .isInstanceOf(PyroException.class)
                .hasMessageContaining("nor any newer version (served: " + OLDER + ")")
                .hasMessageEndingWith("run apt-get update (the package lists may be old), or set"
                        + " PYRO_KERNEL_SOURCE_VERSION=" + OLDER + " to build with a served version");
    }

    @Test
    void aForcedVersionIsUsedExactlyWithItsHashFromApt() throws IOException {
        serve(NEWER, PIN);
        KernelSourceFetcher.Chosen chosen = fetcher(Optional.of(NEWER), false).resolve(pinned, true, progress());
        assertThat(chosen.choice()).isEqualTo(KernelSourceFetcher.Choice.OVERRIDE);
        assertThat(chosen.source().version()).isEqualTo(NEWER);
        assertThat(chosen.source().sha256()).isEqualTo(sha(NEWER));
    }

    @Test
    void aForcedVersionThatIsNotServedFailsAndNeverFallsBack() throws IOException {
        serve(NEWER, PIN);
        assertThatThrownBy(() -> fetcher(Optional.of("6.1.999-9"), false).resolve(pinned, true, progress()))
                .isInstanceOfSatisfying(PyroException.class, e -> {
                    assertThat(e.kind()).isEqualTo(PyroException.Kind.BUILD_FAILED);
                    assertThat(e.getMessage()).isEqualTo("PYRO_KERNEL_SOURCE_VERSION=6.1.999-9 but the apt mirrors"
                            + " do not serve linux-source-6.1 6.1.999-9 (served: " + NEWER + ", " + PIN
                            + "); set it to one of the served versions");
                });
    }

    @Test
    void withoutAnOverrideResolveNeverAsksApt() throws IOException {
        Files.delete(fakeBin.resolve("apt-cache"));
        KernelSourceFetcher.Chosen chosen = fetcher(Optional.empty(), true).resolve(pinned, false, progress());
        assertThat(chosen.choice()).isEqualTo(KernelSourceFetcher.Choice.PIN);
    }

    @Test
    void aCachedFileWithTheRightHashIsUsedWithoutApt() throws Exception {
        Files.delete(fakeBin.resolve("apt-cache"));
        byte[] content = "not really a deb".getBytes();
        KernelSource source = pinned.withVersion("6.1.1-1", Hashes.sha256(content));
        Files.createDirectories(dir.resolve("sources"));
        Files.write(dir.resolve("sources").resolve(source.filename()), content);
        assertThat(fetcher(Optional.empty(), false).fetch(source, progress())).hasBinaryContent(content);
    }

    @Test
    void debianVersionsCompareAsDpkgDoes() {
        assertThat(AptMetadata.compareVersions("6.1.192-3", "6.1.192-2")).isPositive();
        assertThat(AptMetadata.compareVersions("6.1.192-2", "6.1.176-1")).isPositive();
        assertThat(AptMetadata.compareVersions("6.1.99-1", "6.1.100-1")).isNegative();
        assertThat(AptMetadata.compareVersions("6.1.192-2~bpo1", "6.1.192-2")).isNegative();
        assertThat(AptMetadata.compareVersions("1:6.1-1", "6.2-1")).isPositive();
        assertThat(AptMetadata.compareVersions("6.1.192-2+deb12u1", "6.1.192-2")).isPositive();
        assertThat(AptMetadata.compareVersions("6.1.192-2a", "6.1.192-2+")).isNegative();
        assertThat(AptMetadata.compareVersions("6.1.192-02", "6.1.192-2")).isZero();
    }

    private KernelSourceFetcher fetcher(Optional<String> override, boolean root) {
        HostTools tools = new HostTools(List.of(fakeBin, Path.of("/usr/bin"), Path.of("/bin")), true, root,
                dir.resolve("logs"), new AptLists(dir.resolve("no-lists"), dir.resolve("stamp"), Clock.systemUTC()));
        return new KernelSourceFetcher(tools, dir.resolve("sources"), dir.resolve("logs"), override, root);
    }

    private Progress progress() {
        return new Progress((ProgressListener) events::add, "kernel");
    }

    private void serve(String... versions) throws IOException {
        Files.writeString(mirror.resolve("served"), String.join("\n", versions) + "\n");
    }

    private List<String> aptGetCalls() throws IOException {
        Path log = mirror.resolve("apt-get.log");
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    private void script(String name, String content) throws IOException {
        Path file = fakeBin.resolve(name);
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static String sha(String text) {
        return Hashes.sha256(text.getBytes());
    }
}
