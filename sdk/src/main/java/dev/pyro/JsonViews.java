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
        m.put("stdout", r.stdoutText());
        m.put("stderr", r.stderrText());
        if (!r.stdoutIsUtf8()) {
            m.put("stdout_base64", Base64.getEncoder().encodeToString(r.stdout()));
        }
        if (!r.stderrIsUtf8()) {
            m.put("stderr_base64", Base64.getEncoder().encodeToString(r.stderr()));
        }
        m.put("stdout_truncated", r.stdoutTruncated());
        m.put("stderr_truncated", r.stderrTruncated());
        m.put("timed_out", r.timedOut());
        m.put("duration_ms", r.durationMs());
        m.put("boot_ms", r.timings().bootMs());
        m.put("exec_ms", r.timings().execMs());
        m.put("teardown_ms", r.timings().teardownMs());
        m.put("vm_id", r.vmId());
        m.put("kernel_release", r.kernelRelease());
        m.put("note", r.note().orElse(null));
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
        return m;
    }

    private static Map<String, Object> tool(DoctorReport.Tool t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("found", t.found());
        m.put("path", t.path().map(Object::toString).orElse(null));
        m.put("version", t.version().orElse(null));
        return m;
    }
}
