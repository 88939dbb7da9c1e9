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
        DoctorReport.Networking n = d.networking();
        b.append("Networking: tun=").append(yn(n.tun()))
                .append(" ip_forward=").append(n.ipForward().map(HumanViews::yn).orElse("unknown"))
                .append(" passt=").append(yn(n.passt().found()))
                .append(" nft=").append(yn(n.nft().found()))
                .append(" iptables=").append(yn(n.iptables().found()))
                .append(" cap_net_admin=").append(yn(n.netAdmin())).append('\n');
        b.append("  user back end (passt): ").append(n.userBackend() ? "usable" : "not usable: apt-get install passt")
                .append('\n');
        b.append("  tap back end (TAP + nftables): ").append(n.tapBackend().map(w -> "not usable: " + w).orElse("usable"))
                .append('\n');
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

    static String vm(dev.pyro.VmInfo v) {
        StringBuilder b = new StringBuilder();
        b.append("VM: ").append(v.id()).append('\n');
        appendMachine(b, v);
        return b.toString();
    }

    private static void appendMachine(StringBuilder b, dev.pyro.VmInfo v) {
        b.append("Environment: ").append(v.environment()).append('\n');
        b.append("State: ").append(v.state().wireName()).append('\n');
        b.append("Engine: ").append(v.engine()).append(" (").append(v.accel().wireName()).append(")\n");
        b.append("Execution mode: ").append(v.executionMode().wireName());
        if (v.executionMode() == dev.pyro.ExecutionMode.HOST_COMPAT) {
            b.append(" (on the host, WITHOUT isolation)");
        }
        b.append('\n');
        v.pid().ifPresent(p -> b.append("PID: ").append(p).append('\n'));
        b.append("Resources: ").append(v.vcpuCount()).append(" vCPU / ").append(v.memMib()).append(" MiB\n");
        b.append("Created: ").append(v.createdAt()).append('\n');
        b.append("Expires: ").append(v.expiresAt()).append('\n');
        v.lastError().ifPresent(e -> b.append("Last error: ").append(e).append('\n'));
        b.append("Network: ").append(networkLine(v.network())).append('\n');
    }

    /** One line: "off (no network device)" or the policy, back end, address and ports. */
    static String networkLine(dev.pyro.NetworkInfo n) {
        if (!n.enabled()) {
            return "off (no network device)";
        }
        StringBuilder b = new StringBuilder(n.policy().wireName());
        n.backend().ifPresent(x -> b.append(" via ").append(x));
        n.guestAddress().ifPresent(a -> b.append(", guest ").append(a));
        n.gateway().ifPresent(g -> b.append(", gateway ").append(g));
        if (n.allowHost()) {
            b.append(", host ports ").append(ports(n.allowHostPorts())).append(" as ").append(dev.pyro.NetworkInfo.HOST_NAME);
        }
        if (!n.allowNet().isEmpty()) {
            b.append(", opened ").append(String.join(" ", n.allowNet()));
        }
        for (dev.pyro.PortMapping p : n.publishedPorts()) {
            b.append(", ").append(p);
        }
        return b.toString();
    }

    private static String ports(java.util.List<Integer> ports) {
        return String.join(",", ports.stream().map(String::valueOf).toList());
    }

    static String networkInfo(dev.pyro.VmInfo v) {
        dev.pyro.NetworkInfo n = v.network();
        StringBuilder b = new StringBuilder();
        b.append("VM: ").append(v.id()).append(" (").append(v.state().wireName()).append(")\n");
        b.append("Network policy: ").append(n.policy().wireName()).append(n.enabled() ? "" : " (no network device)")
                .append('\n');
        if (n.enabled()) {
            b.append("Back end: ").append(n.backend().orElse("")).append(n.tapDevice().map(t -> " (device " + t + ")")
                    .orElse("")).append('\n');
            b.append("Guest address: ").append(n.guestAddress().orElse("")).append('\n');
            b.append("Gateway: ").append(n.gateway().orElse("")).append('\n');
            b.append("DNS: ").append(n.dns().orElse("none")).append('\n');
            b.append("Host access: ").append(n.allowHost() ? dev.pyro.NetworkInfo.HOST_NAME + " -> ports "
                    + ports(n.allowHostPorts()) + " of the host's loopback" : "none (the host is unreachable)").append('\n');
            b.append("Opened ranges: ").append(n.allowNet().isEmpty() ? "none (public addresses only)"
                    : String.join(", ", n.allowNet())).append('\n');
            b.append("Published ports: ").append(n.publishedPorts().isEmpty() ? "none"
                    : String.join(", ", n.publishedPorts().stream().map(Object::toString).toList())).append('\n');
        }
        return b.toString();
    }

    static String workspace(dev.pyro.WorkspaceInfo w) {
        StringBuilder b = new StringBuilder();
        b.append("Workspace: ").append(w.id()).append('\n');
        appendMachine(b, w.vm());
        b.append("Path: ").append(w.workspacePath()).append('\n');
        dev.pyro.WorkspaceSeed s = w.seed();
        b.append("Seed: ").append(s.mode().wireName());
        s.sourcePath().ifPresent(p -> b.append(" from ").append(p));
        if (s.mode() != dev.pyro.WorkspaceSeed.Mode.EMPTY) {
            b.append(" (").append(s.entryCount()).append(" entries, ").append(s.bytesWritten()).append(" bytes)");
        }
        b.append('\n');
        b.append("Command count: ").append(w.commandCount()).append('\n');
        w.lastCommand().ifPresent(c -> b.append("Last command: ").append(String.join(" ", c.command()))
                .append(" (exit_code=").append(c.exitCode().map(String::valueOf).orElse("none")).append(")\n"));
        return b.toString();
    }

    static String workspaces(java.util.List<dev.pyro.WorkspaceInfo> all) {
        if (all.isEmpty()) {
            return "no workspaces; create one with: pyro workspace create debian:12-base\n";
        }
        StringBuilder b = new StringBuilder(String.format("%-10s %-9s %-16s %-9s %-25s %s%n", "ID", "STATE",
                "ENVIRONMENT", "COMMANDS", "EXPIRES", "SEED"));
        for (dev.pyro.WorkspaceInfo w : all) {
            b.append(String.format("%-10s %-9s %-16s %-9d %-25s %s%n", w.id(), w.vm().state().wireName(),
                    w.vm().environment(), w.commandCount(), w.vm().expiresAt(), w.seed().mode().wireName()));
        }
        return b.toString();
    }

    static String vms(java.util.List<dev.pyro.VmInfo> all) {
        if (all.isEmpty()) {
            return "no VMs; create one with: pyro vm create debian:12-base\n";
        }
        StringBuilder b = new StringBuilder(String.format("%-10s %-9s %-16s %-8s %-25s%n", "ID", "STATE", "ENVIRONMENT",
                "PID", "EXPIRES"));
        for (dev.pyro.VmInfo v : all) {
            b.append(String.format("%-10s %-9s %-16s %-8s %-25s%n", v.id(), v.state().wireName(), v.environment(),
                    v.pid().map(String::valueOf).orElse("-"), v.expiresAt()));
        }
        return b.toString();
    }

    static String journal(java.util.List<dev.pyro.JournalEntry> entries) {
        if (entries.isEmpty()) {
            return "no commands yet\n";
        }
        StringBuilder b = new StringBuilder();
        for (dev.pyro.JournalEntry e : entries) {
            b.append('#').append(e.sequence()).append(' ').append(e.startedAt()).append(" exit_code=")
                    .append(e.exitCode().map(String::valueOf).orElse(e.endedAt().isPresent() ? "none" : "running"))
                    .append(e.timedOut() ? " (timed out)" : "").append(' ').append(e.durationMs()).append(" ms  ")
                    .append(e.cwd()).append("$ ").append(String.join(" ", e.command())).append('\n');
            indent(b, "stdout", e.stdoutTail());
            indent(b, "stderr", e.stderrTail());
        }
        return b.toString();
    }

    private static void indent(StringBuilder b, String label, String tail) {
        if (tail.isEmpty()) {
            return;
        }
        String[] lines = tail.split("\n", -1);
        int from = Math.max(0, lines.length - 6);
        for (int i = from; i < lines.length; i++) {
            if (i == lines.length - 1 && lines[i].isEmpty()) {
                break;
            }
            b.append("    ").append(label).append(" | ").append(lines[i]).append('\n');
        }
    }
}
