package dev.pyro.internal.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.ProgressEvent;
import dev.pyro.ProgressListener;
import dev.pyro.PyroException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostToolsTest {
    @TempDir
    Path logs;

    private HostTools tools(boolean autoInstall, boolean root) {
        return new HostTools(HostTools.searchPath(System.getenv()), autoInstall, root, logs, AptLists.host(logs.resolve("apt-lists-updated")));
    }

    @Test
    void findsRealToolsIncludingSbinOnes() {
        HostTools tools = new HostTools(HostTools.searchPath(Map.of("PATH", "/usr/bin:/bin")), true, false, logs, AptLists.host(logs.resolve("apt-lists-updated")));
        assertThat(tools.find("sh")).get().satisfies(p -> assertThat(Files.isExecutable(p)).isTrue());
        // mke2fs lives in /usr/sbin, which a non-root PATH usually lacks.
        assertThat(tools.find("mke2fs")).isPresent();
        assertThat(tools.find("pyro-no-such-tool")).isEmpty();
    }

    @Test
    void ensureReturnsPathsWhenEverythingIsPresent() {
        Map<String, Path> found = tools(false, false).ensure(
                List.of(HostRequirement.tool("sh", "dash"), HostRequirement.file("/etc/passwd", "base-files")),
                ProgressListener.NONE);
        assertThat(found).containsEntry("/etc/passwd", Path.of("/etc/passwd"));
        assertThat(found.get("sh")).isNotNull();
    }

    @Test
    void missingToolsWithAutoInstallOffGiveOneLineListingEveryPackage() {
        List<HostRequirement> wanted = List.of(
                HostRequirement.tool("sh", "dash"),
                HostRequirement.tool("pyro-no-such-tool-b", "pyro-pkg-b"),
                HostRequirement.tool("pyro-no-such-tool-a", "pyro-pkg-a"),
                HostRequirement.file("/nonexistent/pyro.h", "pyro-pkg-a"));
        assertThatThrownBy(() -> tools(false, true).ensure(wanted, ProgressListener.NONE))
                .isInstanceOfSatisfying(PyroException.class, e -> {
                    assertThat(e.kind()).isEqualTo(PyroException.Kind.HOST_SETUP);
                    assertThat(e.getMessage()).isEqualTo("missing host tools: pyro-no-such-tool-b,"
                            + " pyro-no-such-tool-a, /nonexistent/pyro.h (automatic install is off:"
                            + " PYRO_NO_AUTO_INSTALL=1); install them with: apt-get install -y pyro-pkg-a pyro-pkg-b");
                    assertThat(e.getMessage()).doesNotContain("\n");
                });
    }

    @Test
    void nonRootGetsASudoLineAndNothingIsInstalled() {
        List<ProgressEvent> events = new java.util.ArrayList<>();
        assertThatThrownBy(() -> tools(true, false).ensure(
                List.of(HostRequirement.tool("pyro-no-such-tool", "pyro-no-such-package")), events::add))
                .isInstanceOf(PyroException.class)
                .hasMessage("missing host tools: pyro-no-such-tool; install them with:"
                        + " sudo apt-get install -y pyro-no-such-package");
        assertThat(events).isEmpty();
    }

    @Test
    void toolAfterEnsureNamesThePackageOfAKnownTool() {
        HostTools empty = new HostTools(List.of(logs), true, false, logs, AptLists.host(logs.resolve("apt-lists-updated")));
        assertThatThrownBy(() -> empty.tool("mke2fs"))
                .isInstanceOf(PyroException.class)
                .hasMessageEndingWith("sudo apt-get install -y e2fsprogs");
    }

    @Test
    void environmentSwitchTurnsAutoInstallOff() {
        HostTools off = HostTools.fromEnvironment(Map.of("PATH", "/usr/bin", "PYRO_NO_AUTO_INSTALL", "1"), logs, logs.resolve("apt-lists-updated"));
        assertThatThrownBy(() -> off.ensure(List.of(HostRequirement.tool("pyro-no-such-tool", "pyro-x")),
                ProgressListener.NONE)).hasMessageContaining("PYRO_NO_AUTO_INSTALL=1");
    }

    @Test
    void requirementListsMapToolsToDebianPackages() {
        assertThat(HostRequirements.forTool("qemu-system-x86_64")).get()
                .extracting(HostRequirement::debianPackage).isEqualTo("qemu-system-x86");
        assertThat(HostRequirements.forTool("mke2fs")).get()
                .extracting(HostRequirement::debianPackage).isEqualTo("e2fsprogs");
        assertThat(HostRequirements.forTool("pyro-unknown")).isEmpty();
        assertThat(HostRequirements.union(HostRequirements.KERNEL_FETCH, HostRequirements.KERNEL_BUILD))
                .doesNotHaveDuplicates().contains(HostRequirements.XZ, HostRequirements.LIBELF_HEADERS);
    }

    @Test
    void aptStatusLinesBecomeProgress() {
        assertThat(Apt.parseStatus("installing x", "pmstatus:hello:42.5:Installing hello (amd64)"))
                .isEqualTo(new ProgressEvent("host-setup", "installing x: Installing hello (amd64)", 425, 1000));
        assertThat(Apt.parseStatus("installing x", "dlstatus:1:0:Retrieving file 1 of 1"))
                .extracting(ProgressEvent::done).isEqualTo(0L);
        assertThat(Apt.parseStatus("installing x", "Reading package lists...")).isNull();
    }

    @Test
    void execCapturesOutputAndExitCode() {
        Exec.Result result = Exec.capture(List.of("sh", "-c", "echo out; echo err >&2; exit 3"));
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.stdout()).isEqualTo("out\n");
        assertThat(result.firstErrorLine()).isEqualTo("err");
    }

    @Test
    void aCaptureTimeoutKillsACommandThatPrintsNothingAndNeverExits() {
        long start = System.nanoTime();
        Exec.Result result = Exec.capture(List.of("sleep", "60"), null, Map.of(), java.time.Duration.ofMillis(300));
        assertThat(result.exitCode()).isEqualTo(-1);
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(10_000);
    }

    @Test
    void interruptingAStreamedCommandKillsItAndItsChildren() throws Exception {
        Path pidFile = logs.resolve("child.pid");
        Thread runner = new Thread(() -> {
            try {
                Exec.stream(Exec.builder(List.of("sh", "-c", "sleep 60 & echo $! > " + pidFile + "; wait"), null,
                        Map.of()), line -> { });
            } catch (PyroException e) {
                assertThat(e.kind()).isEqualTo(PyroException.Kind.CANCELLED);
            }
        });
        runner.start();
        org.awaitility.Awaitility.await().until(() -> Files.exists(pidFile) && Files.size(pidFile) > 0);
        long child = Long.parseLong(Files.readString(pidFile).strip());
        runner.interrupt();
        runner.join(10_000);
        assertThat(runner.isAlive()).isFalse();
        org.awaitility.Awaitility.await().until(() -> ProcessHandle.of(child).map(h -> !h.isAlive()).orElse(true));
    }

    /** A fake apt: apt-get logs its calls; install creates the tool; the first install fails when asked. */
    private HostTools fakeApt(Path bin, AptLists lists, boolean failFirstInstall) throws Exception {
        Files.createDirectories(bin);
        Path aptGet = bin.resolve("apt-get");
        Files.writeString(aptGet, """
                #!/bin/sh
                bin=%s
                echo "$1" >> "$bin/calls"
                if [ "$1" = install ]; then
                    if [ %s = true ] && [ ! -f "$bin/failed-once" ]; then touch "$bin/failed-once"; exit 100; fi
                    printf '#!/bin/sh\n' > "$bin/pyro-fake-tool"; chmod +x "$bin/pyro-fake-tool"
                fi
                exit 0
                """.formatted(bin, failFirstInstall));
        Path aptCache = bin.resolve("apt-cache");
        Files.writeString(aptCache, "#!/bin/sh\necho 'Package: pyro-fake-package'\n");
        for (Path p : List.of(aptGet, aptCache)) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return new HostTools(List.of(bin, Path.of("/usr/bin"), Path.of("/bin")), true, true, logs, lists);
    }

    private static final HostRequirement FAKE = HostRequirement.tool("pyro-fake-tool", "pyro-fake-package");

    @Test
    void packageListsOlderThanADayAreRefreshedBeforeInstallingAndTheRefreshIsStamped() throws Exception {
        Path bin = logs.resolve("bin");
        Path stamp = logs.resolve("stamp");
        HostTools tools = fakeApt(bin, new AptLists(logs.resolve("no-lists"), stamp, java.time.Clock.systemUTC()), false);
        List<ProgressEvent> events = new java.util.ArrayList<>();
        tools.ensure(List.of(FAKE), events::add);
        assertThat(Files.readAllLines(bin.resolve("calls"))).containsExactly("update", "install");
        assertThat(stamp).exists();
        assertThat(events).extracting(ProgressEvent::message)
                .anyMatch(m -> m.startsWith("refreshing the package lists (the package lists are "));
    }

    @Test
    void freshPackageListsAreNotRefreshed() throws Exception {
        Path bin = logs.resolve("bin");
        Path stamp = logs.resolve("stamp");
        Files.createFile(stamp);
        HostTools tools = fakeApt(bin, new AptLists(logs.resolve("no-lists"), stamp, java.time.Clock.systemUTC()), false);
        tools.ensure(List.of(FAKE), ProgressListener.NONE);
        assertThat(Files.readAllLines(bin.resolve("calls"))).containsExactly("install");
    }

    @Test
    void aFailedInstallIsRetriedOnceWithFreshLists() throws Exception {
        Path bin = logs.resolve("bin");
        Path stamp = logs.resolve("stamp");
        Files.createFile(stamp);
        HostTools tools = fakeApt(bin, new AptLists(logs.resolve("no-lists"), stamp, java.time.Clock.systemUTC()), true);
        List<ProgressEvent> events = new java.util.ArrayList<>();
        tools.ensure(List.of(FAKE), events::add);
        assertThat(Files.readAllLines(bin.resolve("calls"))).containsExactly("install", "update", "install");
        assertThat(events).extracting(ProgressEvent::message).contains("retrying the install with fresh package lists");
        assertThat(tools.find("pyro-fake-tool")).isPresent();
    }

    @Test
    void theListsAgeIsTheNewestReleaseFileOrPyrosStamp() throws Exception {
        Path lists = Files.createDirectories(logs.resolve("lists"));
        Path release = Files.createFile(lists.resolve("deb.debian.org_debian_dists_bookworm_InRelease"));
        java.time.Instant now = java.time.Instant.parse("2026-12-04T12:00:00Z");
        Files.setLastModifiedTime(release, java.nio.file.attribute.FileTime.from(now.minus(java.time.Duration.ofDays(40))));
        AptLists aptLists = new AptLists(lists, logs.resolve("stamp"), java.time.Clock.fixed(now, java.time.ZoneOffset.UTC));
        assertThat(aptLists.age()).isEqualTo(java.time.Duration.ofDays(40));
        assertThat(aptLists.stale()).isTrue();
        aptLists.markUpdated();
        assertThat(aptLists.age()).isZero();
        assertThat(aptLists.stale()).isFalse();
    }
}
