package dev.pyro.internal.doctor;

import dev.pyro.DoctorReport;
import dev.pyro.DoctorReport.Issue;
import dev.pyro.DoctorReport.Severity;
import dev.pyro.ProgressListener;
import dev.pyro.RuntimeStatus;
import dev.pyro.internal.run.StatusViews;
import dev.pyro.internal.run.VmLauncher;
import dev.pyro.internal.run.OneShotRunner;
import dev.pyro.internal.runtime.Capability;
import dev.pyro.internal.runtime.ComponentStatus;
import dev.pyro.internal.runtime.EnvironmentState;
import dev.pyro.internal.runtime.InstalledEnvironment;
import dev.pyro.internal.runtime.RuntimeLock;
import dev.pyro.internal.runtime.RuntimeBuilder;
import dev.pyro.internal.runtime.RuntimePaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Builds the {@code pyro doctor} report: host tools, KVM (really probed), runtime, and fixes. */
public final class Doctor {
    private static final long LOW_DISK_BYTES = 3L << 30;

    private final RuntimePaths paths;
    private final RuntimeBuilder runtime;
    private final VmLauncher launcher;

    public Doctor(RuntimePaths paths, RuntimeBuilder runtime, VmLauncher launcher) {
        this.paths = paths;
        this.runtime = runtime;
        this.launcher = launcher;
    }

    public DoctorReport report() {
        List<Issue> issues = new ArrayList<>();
        DoctorReport.Tool qemu = qemu(issues);
        DoctorReport.Tool firecracker = firecracker();
        dev.pyro.internal.runtime.RuntimeStatus internal = runtime.status(false, ProgressListener.NONE);
        RuntimeStatus status = StatusViews.of(internal);
        // Probe with the kernel the default environment boots (a pulled one brings its own).
        Optional<Path> kernel = internal.environment(OneShotRunner.DEFAULT_ENVIRONMENT)
                .map(EnvironmentState::installed).map(InstalledEnvironment::bzImage)
                .or(() -> internal.component("kernel").filter(ComponentStatus::ready).map(ComponentStatus::path));
        DoctorReport.Kvm kvm = launcher.probeKvm(kernel);
        if (kvm.exists() && kvm.usable().isPresent() && !kvm.usable().get()) {
            issues.add(new Issue(Severity.WARNING, "KVM is not usable here (" + kvm.detail()
                    + "); VMs run under QEMU software emulation, several times slower",
                    "run on a host with working KVM (bare metal, or nested virtualisation enabled); nothing to do otherwise"));
        } else if (!kvm.exists()) {
            issues.add(new Issue(Severity.WARNING, "/dev/kvm does not exist; VMs run under QEMU software emulation, several times slower",
                    "enable virtualisation (load kvm_intel or kvm_amd, or enable nested virtualisation); nothing to do otherwise"));
        }
        runtimeIssues(internal, status, issues);
        diskIssues(issues);
        DoctorReport.Networking networking = networking(internal, issues);
        return new DoctorReport(RuntimePaths.PLATFORM, hostKernel(), qemu, firecracker, kvm, status,
                paths.homeDir(), paths.cacheDir(), List.copyOf(issues), networking);
    }

    /** What guest networking can use here; a missing passt is a warning (--network needs it). */
    private DoctorReport.Networking networking(dev.pyro.internal.runtime.RuntimeStatus internal, List<Issue> issues) {
        DoctorReport.Tool passt = hostTool("passt");
        DoctorReport.Tool nft = hostTool("nft");
        DoctorReport.Tool iptables = hostTool("iptables");
        Optional<String> tap = dev.pyro.internal.net.TapNetwork.unavailable();
        if (!passt.found()) {
            issues.add(new Issue(Severity.WARNING, "passt is not installed: guests get no network (--network) with the"
                    + " user back end", "apt-get install passt"));
        } else if (internal.environment(OneShotRunner.DEFAULT_ENVIRONMENT).map(EnvironmentState::isInstalled).orElse(false)
                && !internal.capabilitiesOf(OneShotRunner.DEFAULT_ENVIRONMENT).getOrDefault(Capability.GUEST_NETWORK, false)) {
            issues.add(new Issue(Severity.WARNING, "guest_network is not proven for " + OneShotRunner.DEFAULT_ENVIRONMENT
                    + " yet (a guest has not fetched from the host through the user back end)",
                    "pyro runtime materialize"));
        }
        return new DoctorReport.Networking(dev.pyro.internal.net.HostNetwork.tunExists(),
                dev.pyro.internal.net.HostNetwork.ipForward(), passt, nft, iptables,
                dev.pyro.internal.net.HostNetwork.hasNetAdmin(), passt.found(), tap);
    }

    private static DoctorReport.Tool hostTool(String name) {
        Optional<Path> p = dev.pyro.internal.net.HostNetwork.tool(name);
        return new DoctorReport.Tool(p.isPresent(), p, Optional.empty());
    }

    private DoctorReport.Tool qemu(List<Issue> issues) {
        Optional<Path> binary = launcher.qemuBinary();
        if (binary.isEmpty()) {
            issues.add(new Issue(Severity.ERROR, "qemu-system-x86_64 is not installed",
                    "sudo apt-get install -y --no-install-recommends qemu-system-x86 (pyro run installs it itself when run as root)"));
            return new DoctorReport.Tool(false, Optional.empty(), Optional.empty());
        }
        return new DoctorReport.Tool(true, binary, launcher.qemuVersion());
    }

    private DoctorReport.Tool firecracker() {
        Optional<Path> binary = launcher.findOnPath("firecracker");
        // Firecracker is optional: the QEMU engine covers every host; no issue when it is absent.
        return new DoctorReport.Tool(binary.isPresent(), binary, Optional.empty());
    }

    private static void runtimeIssues(dev.pyro.internal.runtime.RuntimeStatus internal, RuntimeStatus status,
            List<Issue> issues) {
        String defaultEnv = OneShotRunner.DEFAULT_ENVIRONMENT;
        Optional<EnvironmentState> byDefault = internal.environment(defaultEnv);
        boolean defaultPulled = byDefault.map(EnvironmentState::installed).map(InstalledEnvironment::pulled).orElse(false);
        for (ComponentStatus c : internal.components()) {
            boolean otherEnvironment = c.id().startsWith("rootfs:") && !c.id().equals("rootfs:" + defaultEnv);
            boolean buildOnly = (c.id().equals("kernel") || c.id().equals("agent")) && defaultPulled;
            switch (c.state()) {
                // Other environments are built or pulled on first use; a pulled default needs no local kernel.
                case MISSING -> {
                    if (!otherEnvironment && !buildOnly) {
                        issues.add(new Issue(Severity.WARNING, c.id() + " is not built yet"
                                + " (the first pyro run builds it, which takes minutes)", "pyro runtime materialize"));
                    }
                }
                case STALE -> {
                    if (!buildOnly) {
                        issues.add(new Issue(Severity.WARNING, c.id() + " was built from older recipes",
                                otherEnvironment ? "pyro env build " + c.id().substring("rootfs:".length())
                                        : "pyro runtime materialize"));
                    }
                }
                case CORRUPT -> issues.add(new Issue(Severity.ERROR, c.id() + " is corrupt: "
                        + (c.detail() == null ? "its files changed since it was built" : c.detail()),
                        rebuild(c.id(), internal)));
                case READY -> { }
            }
        }
        boolean installed = byDefault.map(EnvironmentState::isInstalled).orElse(false);
        var flags = internal.capabilitiesOf(defaultEnv);
        if (installed && !(flags.getOrDefault(Capability.VM_BOOT, false) && flags.getOrDefault(Capability.GUEST_EXEC, false))) {
            issues.add(new Issue(Severity.WARNING, defaultEnv + " is installed but vm_boot/guest_exec are not proven"
                    + " for it yet", "pyro runtime materialize"));
        }
    }

    private static String rebuild(String id, dev.pyro.internal.runtime.RuntimeStatus internal) {
        if (id.startsWith("rootfs:")) {
            String env = id.substring("rootfs:".length());
            boolean pulled = internal.environment(env).map(e -> RuntimeLock.PULLED.equals(e.source())).orElse(false);
            return pulled ? "pyro env pull " + env : "pyro runtime build-rootfs " + env + " --force";
        }
        return "pyro runtime build-" + id + " --force";
    }

    private void diskIssues(List<Issue> issues) {
        Path probe = paths.cacheDir();
        while (probe != null && !Files.exists(probe)) {
            probe = probe.getParent();
        }
        if (probe == null) {
            return;
        }
        try {
            long free = Files.getFileStore(probe).getUsableSpace();
            if (free < LOW_DISK_BYTES) {
                issues.add(new Issue(Severity.WARNING, "only " + (free >> 20) + " MiB free under " + paths.cacheDir()
                        + "; a runtime build needs about 3 GiB", "free disk space or set PYRO_CACHE_DIR to a larger disk"));
            }
        } catch (IOException e) {
            // Unknown free space is not worth an issue of its own.
        }
    }

    private static String hostKernel() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            return System.getProperty("os.version");
        }
    }

}
