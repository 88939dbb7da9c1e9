package dev.pyro.internal.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pyro.ProgressEvent;
import dev.pyro.PyroException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Installs real Debian packages with apt-get: needs root and a reachable mirror. */
class HostToolsIT {
    @TempDir
    Path logs;

    @Test
    void aPackageAptDoesNotKnowIsReportedAfterOneUpdate() {
        assumeTrue(HostInfo.isRoot(), "needs root");
        HostTools tools = new HostTools(HostTools.searchPath(System.getenv()), true, true, logs, AptLists.host(logs.resolve("apt-lists-updated")));
        List<ProgressEvent> events = new CopyOnWriteArrayList<>();
        assertThatThrownBy(() -> tools.ensure(
                List.of(HostRequirement.tool("pyro-no-such-tool", "pyro-no-such-package")), events::add))
                .isInstanceOfSatisfying(PyroException.class, e -> {
                    assertThat(e.kind()).isEqualTo(PyroException.Kind.HOST_SETUP);
                    assertThat(e.getMessage()).startsWith("apt knows no package pyro-no-such-package"
                            + " (needed for pyro-no-such-tool)");
                });
        assertThat(events).extracting(ProgressEvent::message).anyMatch(m -> m.startsWith("updating package lists"));
    }

    @Test
    void aMissingToolIsInstalledFromItsDebianPackage() {
        assumeTrue(HostInfo.isRoot(), "needs root");
        HostTools tools = new HostTools(HostTools.searchPath(System.getenv()), true, true, logs, AptLists.host(logs.resolve("apt-lists-updated")));
        // GNU hello: a tiny package nothing depends on; removed again if this test installed it.
        boolean wasInstalled = tools.find("hello").isPresent();
        List<ProgressEvent> events = new ArrayList<>();
        try {
            Path hello = tools.ensure(List.of(HostRequirement.tool("hello", "hello")), events::add).get("hello");
            assertThat(Exec.capture(List.of(hello.toString())).stdout()).contains("Hello, world!");
            if (!wasInstalled) {
                assertThat(events).extracting(ProgressEvent::message)
                        .anyMatch(m -> m.startsWith("installing missing host packages: hello"));
            }
        } finally {
            if (!wasInstalled) {
                Exec.capture(List.of("apt-get", "remove", "-y", "-o", "DPkg::Lock::Timeout=300", "hello"));
            }
        }
    }
}
