package dev.pyro.internal.doctor;

import dev.pyro.DoctorReport;
import dev.pyro.DoctorReport.Issue;
import dev.pyro.DoctorReport.Severity;
import dev.pyro.ProgressListener;
import dev.pyro.RuntimeStatus;
import dev.pyro.internal.run.StatusViews;
import dev.pyro.internal.run.VmLauncher;
import dev.pyro.internal.runtime.ComponentStatus;
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
        Optional<Path> kernel = internal.component("kernel").filter(ComponentStatus::ready).map(ComponentStatus::path);
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
        return new DoctorReport(RuntimePaths.PLATFORM, hostKernel(), qemu, firecracker, kvm, status,
                paths.homeDir(), paths.cacheDir(), List.copyOf(issues));
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
        for (ComponentStatus c : internal.components()) {
            switch (c.state()) {
                case MISSING -> issues.add(new Issue(Severity.WARNING, c.id() + " is not built yet"
                        + " (the first pyro run builds it, which takes minutes)", "pyro runtime materialize"));
                case STALE -> issues.add(new Issue(Severity.WARNING, c.id() + " was built from older recipes",
                        "pyro runtime materialize"));
                case CORRUPT -> issues.add(new Issue(Severity.ERROR, c.id() + " is corrupt: "
                        + (c.detail() == null ? "its files changed since it was built" : c.detail()),
                        rebuild(c.id())));
                case READY -> { }
            }
        }
        if (status.ready() && !(status.capabilities().vmBoot() && status.capabilities().guestExec())) {
            issues.add(new Issue(Severity.WARNING, "the runtime is built but vm_boot/guest_exec are not proven yet",
                    "pyro runtime materialize"));
        }
    }

    private static String rebuild(String id) {
        if (id.startsWith("rootfs:")) {
            return "pyro runtime build-rootfs " + id.substring("rootfs:".length()) + " --force";
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
