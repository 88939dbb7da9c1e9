package dev.pyro.cli;

import dev.pyro.Capabilities;
import dev.pyro.DoctorReport;
import dev.pyro.RuntimeStatus;

/** Plain-text renderings of SDK results for people. */
final class HumanViews {
    private HumanViews() {
    }

    static String doctor(DoctorReport d) {
        StringBuilder b = new StringBuilder();
        b.append("Platform: ").append(d.platform()).append(" (host kernel ").append(d.hostKernel()).append(")\n");
        b.append("QEMU: ").append(tool(d.qemu())).append('\n');
        b.append("Firecracker: ").append(tool(d.firecracker())).append('\n');
        DoctorReport.Kvm k = d.kvm();
        b.append("KVM: exists=").append(yn(k.exists()))
                .append(" readable=").append(yn(k.readable()))
                .append(" writable=").append(yn(k.writable()))
                .append(" usable=").append(k.usable().map(HumanViews::yn).orElse("unknown"))
                .append(k.detail().isEmpty() ? "" : " (" + k.detail() + ")").append('\n');
        b.append("Runtime: ").append(d.runtime().ready() ? "READY" : "NOT READY").append('\n');
        appendComponents(b, d.runtime(), "  ");
        b.append("Capabilities: ").append(capabilities(d.runtime().capabilities())).append('\n');
        b.append("State (PYRO_HOME): ").append(d.home()).append('\n');
        b.append("Cache (PYRO_CACHE_DIR): ").append(d.cacheDir()).append('\n');
        if (d.issues().isEmpty()) {
            b.append("Issues: none\n");
        } else {
            b.append("Issues:\n");
            for (DoctorReport.Issue i : d.issues()) {
                b.append("  - ").append(i.severity().wireName()).append(": ").append(i.problem())
                        .append("\n    fix: ").append(i.fix()).append('\n');
            }
        }
        return b.toString();
    }

    static String runtime(RuntimeStatus s) {
        StringBuilder b = new StringBuilder();
        b.append("Runtime (").append(s.platform()).append("): ").append(s.ready() ? "READY" : "NOT READY").append('\n');
        appendComponents(b, s, "  ");
        b.append("Capabilities: ").append(capabilities(s.capabilities())).append('\n');
        if (!s.environments().isEmpty()) {
            b.append("Environments:\n");
            for (dev.pyro.EnvironmentInfo e : s.environments()) {
                b.append(String.format("  %-22s %-13s %-7s %9s  %s  %s%n", e.name(), e.installed() ? "installed"
                        : "not installed", e.source().map(dev.pyro.EnvironmentInfo.Source::wireName).orElse("-"),
                        e.installed() ? EnvViews.size(e.sizeBytes()) : "-", e.digest().map(EnvViews::shortDigest)
                        .orElse("-"), capabilities(e.capabilities())));
            }
        }
        b.append("Lock: ").append(s.lockFile()).append('\n');
        return b.toString();
    }

    private static void appendComponents(StringBuilder b, RuntimeStatus s, String indent) {
        for (RuntimeStatus.Component c : s.components()) {
            b.append(indent).append(String.format("%-24s %-8s %s", c.name(), c.state().wireName(), c.version()));
            c.sha256().ifPresent(h -> b.append("  sha256:").append(h, 0, Math.min(12, h.length())));
            c.path().ifPresent(p -> b.append("  ").append(p));
            b.append('\n');
            c.detail().ifPresent(d -> b.append(indent).append("  ").append(d).append('\n'));
        }
    }

    static String capabilities(Capabilities c) {
        return "vm_boot=" + yn(c.vmBoot()) + " guest_exec=" + yn(c.guestExec()) + " guest_network=" + yn(c.guestNetwork());
    }

    private static String tool(DoctorReport.Tool t) {
        if (!t.found()) {
            return "not found";
        }
        return t.path().map(Object::toString).orElse("") + t.version().map(v -> " (" + v + ")").orElse("");
    }

    private static String yn(boolean b) {
        return b ? "yes" : "no";
    }
}
