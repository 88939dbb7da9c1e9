package dev.pyro;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON shape of SDK results, shared by every front-end so that the CLI's {@code --json}
 * and the MCP server's tool results carry the same fields with the same names (snake_case).
 * Each method returns plain maps and lists, ready for any JSON writer.
 */
public final class JsonViews {
    /** The note every host-compat machine and command carries: it never goes unsaid. */
    static final String HOST_COMPAT_NOTE = "runs on the host WITHOUT isolation (host-compat)";

    private JsonViews() {
    }

    /**
     * A run result. {@code stdout}/{@code stderr} are UTF-8 text (invalid bytes replaced); when
     * the bytes were not valid UTF-8, {@code stdout_base64}/{@code stderr_base64} carry them exactly.
     */
    public static Map<String, Object> run(RunResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("environment", r.environment());
        m.put("engine", r.engine());
        m.put("accel", r.accel().wireName());
        m.put("execution_mode", r.executionMode().wireName());
        m.put("exit_code", r.exitCode());
        putOutput(m, r.stdout(), r.stderr(), r.stdoutTruncated(), r.stderrTruncated());
        m.put("timed_out", r.timedOut());
        m.put("duration_ms", r.durationMs());
        m.put("boot_ms", r.timings().bootMs());
        m.put("exec_ms", r.timings().execMs());
        m.put("teardown_ms", r.timings().teardownMs());
        m.put("vm_id", r.vmId());
        m.put("kernel_release", r.kernelRelease());
        m.put("note", r.note().orElse(null));
        m.put("network", network(r.network()));
        return m;
    }

    /**
     * A guest's network: {@code network_policy} ({@code off}: no network device at all),
     * back end, addresses, which host loopback ports are reachable as host.pyro.internal, the
     * published ports (bound to 127.0.0.1 on the host) and the non-public ranges opened.
     */
    public static Map<String, Object> network(NetworkInfo n) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("network_policy", n.policy().wireName());
        m.put("network_enabled", n.enabled());
        m.put("backend", n.backend().orElse(null));
        m.put("guest_address", n.guestAddress().orElse(null));
        m.put("gateway", n.gateway().orElse(null));
        m.put("dns", n.dns().orElse(null));
        m.put("allow_host", n.allowHost());
        m.put("allow_host_ports", n.allowHostPorts());
        m.put("host_alias", n.hostAlias().map(a -> {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("name", NetworkInfo.HOST_NAME);
            h.put("address", a);
            return h;
        }).orElse(null));
        m.put("published_ports", n.publishedPorts().stream().map(p -> {
            Map<String, Object> pm = new LinkedHashMap<>();
            pm.put("host_address", PortMapping.HOST_ADDRESS);
            pm.put("host_port", p.hostPort());
            pm.put("guest_port", p.guestPort());
            return pm;
        }).toList());
        m.put("tap_device", n.tapDevice().orElse(null));
        m.put("allow_net", n.allowNet());
        return m;
    }

    /** {@code vm network-info}: the machine's id and state beside its network. */
    public static Map<String, Object> networkInfo(VmInfo v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vm_id", v.id());
        m.put("state", v.state().wireName());
        m.putAll(network(v.network()));
        return m;
    }

    /** A runtime status: components and capability flags. */
    public static Map<String, Object> runtime(RuntimeStatus s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("platform", s.platform());
        m.put("lock_file", s.lockFile().toString());
        m.put("ready", s.ready());
        List<Object> components = new ArrayList<>();
        for (RuntimeStatus.Component c : s.components()) {
            Map<String, Object> cm = new LinkedHashMap<>();
            cm.put("name", c.name());
            cm.put("version", c.version());
            cm.put("sha256", c.sha256().orElse(null));
            cm.put("path", c.path().map(Object::toString).orElse(null));
            cm.put("state", c.state().wireName());
            cm.put("detail", c.detail().orElse(null));
            components.add(cm);
        }
        m.put("components", components);
        m.put("capabilities", capabilities(s.capabilities()));
        m.put("environments", s.environments().stream().map(JsonViews::environment).toList());
        return m;
    }

    /**
     * One environment: {@code name}, {@code description}, {@code version}, {@code default},
     * {@code installed}, {@code source} ({@code built}, {@code pulled} or null), {@code size_bytes},
     * {@code digest}, {@code reference}, {@code state}, {@code detail}, {@code capabilities}.
     */
    public static Map<String, Object> environment(EnvironmentInfo e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", e.name());
        m.put("description", e.description());
        m.put("version", e.version());
        m.put("default", e.isDefault());
        m.put("installed", e.installed());
        m.put("source", e.source().map(EnvironmentInfo.Source::wireName).orElse(null));
        m.put("size_bytes", e.sizeBytes());
        m.put("digest", e.digest().orElse(null));
        m.put("reference", e.reference().orElse(null));
        m.put("state", e.state().wireName());
        m.put("detail", e.detail().orElse(null));
        m.put("capabilities", capabilities(e.capabilities()));
        return m;
    }

    /** The catalog: {@code {"environments": [...]}} (see {@link #environment}). */
    public static Map<String, Object> environments(List<EnvironmentInfo> environments) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("environments", environments.stream().map(JsonViews::environment).toList());
        return m;
    }

    /** {@code pyro env inspect}: the environment plus its manifest, packages, kernel and artifacts. */
    public static Map<String, Object> environmentDetails(EnvironmentDetails d) {
        Map<String, Object> m = new LinkedHashMap<>(environment(d.environment()));
        m.put("directory", d.directory().map(Object::toString).orElse(null));
        m.put("suite", d.suite());
        m.put("apt_sources", d.aptSources());
        m.put("requested_packages", d.requestedPackages());
        m.put("kernel", d.kernel().map(k -> {
            Map<String, Object> km = new LinkedHashMap<>();
            km.put("release", k.release());
            km.put("sha256", k.sha256());
            km.put("source_package", k.sourcePackage());
            km.put("source_version", k.sourceVersion());
            km.put("config_sha256", k.configSha256());
            return km;
        }).orElse(null));
        m.put("agent_sha256", d.agentSha256().orElse(null));
        m.put("built_at", d.builtAt().orElse(null));
        m.put("pulled_at", d.pulledAt().orElse(null));
        m.put("config_digest", d.configDigest().orElse(null));
        List<Object> artifacts = new ArrayList<>();
        for (EnvironmentDetails.Artifact a : d.artifacts()) {
            Map<String, Object> am = new LinkedHashMap<>();
            am.put("name", a.name());
            am.put("path", a.path().toString());
            am.put("sha256", a.sha256());
            am.put("size_bytes", a.sizeBytes());
            am.put("media_type", a.mediaType().orElse(null));
            am.put("layer_digest", a.layerDigest().orElse(null));
            artifacts.add(am);
        }
        m.put("artifacts", artifacts);
        m.put("package_count", d.packages().size());
        List<Object> packages = new ArrayList<>();
        for (EnvironmentDetails.Package p : d.packages()) {
            Map<String, Object> pm = new LinkedHashMap<>();
            pm.put("name", p.name());
            pm.put("version", p.version());
            pm.put("architecture", p.architecture());
            packages.add(pm);
        }
        m.put("packages", packages);
        return m;
    }

    /** {@code pyro env pull}. */
    public static Map<String, Object> pull(PullResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("environment", environment(r.environment()));
        m.put("reference", r.reference());
        m.put("digest", r.digest());
        m.put("total_bytes", r.totalBytes());
        m.put("downloaded_bytes", r.downloadedBytes());
        m.put("up_to_date", r.upToDate());
        m.put("duration_ms", r.durationMs());
        m.put("download_ms", r.downloadMs());
        return m;
    }

    /** {@code pyro env publish}. */
    public static Map<String, Object> publish(PublishResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("environment", r.environment());
        m.put("reference", r.reference());
        m.put("digest", r.digest());
        List<Object> layers = new ArrayList<>();
        for (PublishResult.Layer l : r.layers()) {
            Map<String, Object> lm = new LinkedHashMap<>();
            lm.put("title", l.title());
            lm.put("media_type", l.mediaType());
            lm.put("digest", l.digest());
            lm.put("size_bytes", l.sizeBytes());
            lm.put("reused", l.reused());
            layers.add(lm);
        }
        m.put("layers", layers);
        m.put("uploaded_bytes", r.uploadedBytes());
        m.put("reused_bytes", r.reusedBytes());
        m.put("duration_ms", r.durationMs());
        return m;
    }

    /** {@code pyro env prune}. */
    public static Map<String, Object> prune(PruneResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Object> removed = new ArrayList<>();
        for (PruneResult.Removed x : r.removed()) {
            Map<String, Object> xm = new LinkedHashMap<>();
            xm.put("environment", x.environment().orElse(null));
            xm.put("path", x.path().toString());
            xm.put("reason", x.reason());
            xm.put("bytes", x.bytes());
            removed.add(xm);
        }
        m.put("removed", removed);
        m.put("kept", r.kept());
        m.put("freed_bytes", r.freedBytes());
        return m;
    }

    public static Map<String, Object> capabilities(Capabilities c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vm_boot", c.vmBoot());
        m.put("guest_exec", c.guestExec());
        m.put("guest_network", c.guestNetwork());
        return m;
    }

    /** A doctor report. */
    public static Map<String, Object> doctor(DoctorReport d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ok", d.ok());
        m.put("platform", d.platform());
        m.put("host_kernel", d.hostKernel());
        m.put("qemu", tool(d.qemu()));
        m.put("firecracker", tool(d.firecracker()));
        Map<String, Object> kvm = new LinkedHashMap<>();
        kvm.put("exists", d.kvm().exists());
        kvm.put("readable", d.kvm().readable());
        kvm.put("writable", d.kvm().writable());
        kvm.put("usable", d.kvm().usable().orElse(null));
        kvm.put("detail", d.kvm().detail());
        m.put("kvm", kvm);
        m.put("runtime", runtime(d.runtime()));
        m.put("capabilities", capabilities(d.runtime().capabilities()));
        Map<String, Object> paths = new LinkedHashMap<>();
        paths.put("home", d.home().toString());
        paths.put("cache_dir", d.cacheDir().toString());
        m.put("paths", paths);
        List<Object> issues = new ArrayList<>();
        for (DoctorReport.Issue i : d.issues()) {
            Map<String, Object> im = new LinkedHashMap<>();
            im.put("severity", i.severity().wireName());
            im.put("problem", i.problem());
            im.put("fix", i.fix());
            issues.add(im);
        }
        m.put("issues", issues);
        DoctorReport.Networking n = d.networking();
        Map<String, Object> net = new LinkedHashMap<>();
        net.put("tun", n.tun());
        net.put("ip_forward", n.ipForward().orElse(null));
        net.put("passt", tool(n.passt()));
        net.put("nft", tool(n.nft()));
        net.put("iptables", tool(n.iptables()));
        net.put("cap_net_admin", n.netAdmin());
        Map<String, Object> backends = new LinkedHashMap<>();
        backends.put("user", Map.of("usable", n.userBackend()));
        Map<String, Object> tap = new LinkedHashMap<>();
        tap.put("usable", n.tapBackend().isEmpty());
        tap.put("detail", n.tapBackend().orElse(null));
        backends.put("tap", tap);
        net.put("backends", backends);
        m.put("networking", net);
        return m;
    }

    private static Map<String, Object> tool(DoctorReport.Tool t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("found", t.found());
        m.put("path", t.path().map(Object::toString).orElse(null));
        m.put("version", t.version().orElse(null));
        return m;
    }

    /** A VM (or a workspace's VM). */
    public static Map<String, Object> vm(VmInfo v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vm_id", v.id());
        m.put("environment", v.environment());
        m.put("state", v.state().wireName());
        m.put("engine", v.engine());
        m.put("accel", v.accel().wireName());
        m.put("execution_mode", v.executionMode().wireName());
        m.put("pid", v.pid().orElse(null));
        m.put("vcpu_count", v.vcpuCount());
        m.put("mem_mib", v.memMib());
        m.put("ttl_seconds", v.ttlSeconds());
        m.put("created_at", v.createdAt().toString());
        m.put("expires_at", v.expiresAt().toString());
        m.put("last_error", v.lastError().orElse(null));
        m.put("network", network(v.network()));
        if (v.executionMode() == ExecutionMode.HOST_COMPAT) {
            m.put("note", HOST_COMPAT_NOTE);
        }
        return m;
    }

    /** A workspace: its VM's fields (with {@code workspace_id}), seed and journal summary. */
    public static Map<String, Object> workspace(WorkspaceInfo w) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("workspace_id", w.id());
        Map<String, Object> vm = vm(w.vm());
        vm.remove("vm_id");
        m.putAll(vm);
        m.put("workspace_path", w.workspacePath());
        m.put("workspace_seed", seed(w.seed()));
        m.put("command_count", w.commandCount());
        m.put("last_command", w.lastCommand().map(JsonViews::journalEntry).orElse(null));
        return m;
    }

    public static Map<String, Object> seed(WorkspaceSeed s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", s.mode().wireName());
        m.put("source_path", s.sourcePath().orElse(null));
        m.put("destination", s.destination());
        m.put("entry_count", s.entryCount());
        m.put("bytes_written", s.bytesWritten());
        return m;
    }

    /** One journal entry. */
    public static Map<String, Object> journalEntry(JournalEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sequence", e.sequence());
        m.put("command", e.command());
        m.put("cwd", e.cwd());
        m.put("exit_code", e.exitCode().orElse(null));
        m.put("timed_out", e.timedOut());
        m.put("duration_ms", e.durationMs());
        m.put("started_at", e.startedAt().toString());
        m.put("ended_at", e.endedAt().map(Object::toString).orElse(null));
        m.put("stdout_tail", e.stdoutTail());
        m.put("stderr_tail", e.stderrTail());
        return m;
    }

    /** A workspace's journal. */
    public static Map<String, Object> journal(String workspaceId, List<JournalEntry> entries) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("workspace_id", workspaceId);
        m.put("count", entries.size());
        m.put("commands", entries.stream().map(JsonViews::journalEntry).toList());
        return m;
    }

    /** A command run in a workspace or VM; output fields as in {@link #run}. */
    public static Map<String, Object> command(CommandResult r, String idField) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(idField, r.machineId());
        m.put("sequence", r.sequence());
        m.put("command", r.command());
        m.put("cwd", r.cwd());
        m.put("execution_mode", r.executionMode().wireName());
        m.put("exit_code", r.exitCode());
        putOutput(m, r.stdout(), r.stderr(), r.stdoutTruncated(), r.stderrTruncated());
        m.put("timed_out", r.timedOut());
        m.put("duration_ms", r.durationMs());
        if (r.executionMode() == ExecutionMode.HOST_COMPAT) {
            m.put("note", HOST_COMPAT_NOTE);
        }
        return m;
    }

    /** A sync push or export. */
    public static Map<String, Object> transfer(TransferResult t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("workspace_id", t.workspaceId());
        m.put("source", t.source());
        m.put("destination", t.destination());
        m.put("artifact_type", t.artifactType().wireName());
        m.put("entry_count", t.entryCount());
        m.put("bytes_written", t.bytesWritten());
        return m;
    }

    /** What a delete returns: {@code {"<idField>": id, "deleted": true}}. */
    public static Map<String, Object> deleted(String idField, String id) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(idField, id);
        m.put("deleted", true);
        return m;
    }

    /** What a reap returns: the ids it deleted and their count. */
    public static Map<String, Object> reaped(List<String> ids) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("deleted", ids);
        m.put("count", ids.size());
        return m;
    }

    /** A list of VMs or workspaces. */
    public static Map<String, Object> list(String field, List<Map<String, Object>> items) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", items.size());
        m.put(field, items);
        return m;
    }

    private static void putOutput(Map<String, Object> m, byte[] stdout, byte[] stderr, boolean stdoutTruncated,
            boolean stderrTruncated) {
        m.put("stdout", new String(stdout, java.nio.charset.StandardCharsets.UTF_8));
        m.put("stderr", new String(stderr, java.nio.charset.StandardCharsets.UTF_8));
        if (!RunResult.isUtf8(stdout)) {
            m.put("stdout_base64", Base64.getEncoder().encodeToString(stdout));
        }
        if (!RunResult.isUtf8(stderr)) {
            m.put("stderr_base64", Base64.getEncoder().encodeToString(stderr));
        }
        m.put("stdout_truncated", stdoutTruncated);
        m.put("stderr_truncated", stderrTruncated);
    }
}
