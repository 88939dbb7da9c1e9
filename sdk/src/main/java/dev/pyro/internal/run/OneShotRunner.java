package dev.pyro.internal.run;

import dev.pyro.Accel;
import dev.pyro.ExecutionMode;
import dev.pyro.OutputListener;
import dev.pyro.ProgressEvent;
import dev.pyro.ProgressListener;
import dev.pyro.PyroException;
import dev.pyro.RunRequest;
import dev.pyro.RunResult;
import dev.pyro.Timings;
import dev.pyro.internal.access.HostExecutionDoor;
import dev.pyro.internal.guest.ExecFailedException;
import dev.pyro.internal.guest.ExecRequest;
import dev.pyro.internal.guest.ExecResult;
import dev.pyro.internal.host.HostInfo;
import dev.pyro.internal.runtime.ComponentState;
import dev.pyro.internal.runtime.ComponentStatus;
import dev.pyro.internal.runtime.EnvironmentRecipe;
import dev.pyro.internal.runtime.EnvironmentState;
import dev.pyro.internal.runtime.ResolvedRuntime;
import dev.pyro.internal.runtime.RuntimeBuilder;
import dev.pyro.internal.runtime.RuntimeLock;
import dev.pyro.internal.runtime.RuntimePaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One-shot runs: check the request, make sure the runtime is built and proven, boot an
 * ephemeral VM, run the command, tear the VM down, and account for the time of each phase.
 * With {@code allow_host_compat}, falls back to the host when guest execution is unavailable.
 */
public final class OneShotRunner {
    /** The environment used where none is named (the SDK's default, {@code pyro runtime materialize}). */
    public static final String DEFAULT_ENVIRONMENT = "debian:12";
    /** The command's working directory in the guest (created by the agent; empty in a fresh VM). */
    static final String GUEST_CWD = "/workspace";
    /** Failures of the guest path that host-compat may stand in for (not bad input, not a failed command). */
    private static final Set<PyroException.Kind> FALLBACK_KINDS = EnumSet.of(PyroException.Kind.HOST_SETUP,
            PyroException.Kind.RUNTIME_NOT_READY, PyroException.Kind.BUILD_FAILED, PyroException.Kind.VM_FAILED);

    private final RuntimeBuilder runtime;
    private final VmLauncher launcher;
    private final CapabilityCheck capabilityCheck;
    private final RuntimePaths paths;
    private final HostExecutionDoor hostExecution;

    public OneShotRunner(RuntimeBuilder runtime, VmLauncher launcher, CapabilityCheck capabilityCheck, RuntimePaths paths,
            HostExecutionDoor hostExecution) {
        this.runtime = runtime;
        this.launcher = launcher;
        this.capabilityCheck = capabilityCheck;
        this.paths = paths;
        this.hostExecution = hostExecution;
    }

    /** The host-execution door every host-compat request passes. */
    public HostExecutionDoor hostExecution() {
        return hostExecution;
    }

    public CapabilityCheck capabilityCheck() {
        return capabilityCheck;
    }

    public RunResult run(RunRequest request, OutputListener output, ProgressListener progress) {
        long started = System.nanoTime();
        RunValidation.check(request, environments(), HostInfo.memTotalBytes() >> 20);
        if (request.allowHostCompat() || request.engine().equals("host_compat")) {
            // Before any work: a refused request must not reach the fallback below, whatever the VM does.
            hostExecution.requireForRequest();
        }
        if (request.engine().equals("host_compat")) {
            return onHost(request, output, "requested with engine host_compat", started);
        }
        if (request.engine().equals("firecracker")) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "the firecracker engine needs working KVM and the"
                    + " firecracker binary, which this build does not ship yet; use engine auto or qemu");
        }
        ResolvedRuntime resolved;
        VmLauncher.AccelChoice accel;
        try {
            resolved = prepare(request.environment(), progress);
            accel = launcher.chooseAccel(resolved, progress);
        } catch (PyroException e) {
            if (request.network().enabled() && request.allowHostCompat() && FALLBACK_KINDS.contains(e.kind())) {
                throw new PyroException(e.kind(), e.getMessage() + "; and " + RunValidation.hostCompatNetwork(), e);
            }
            if (request.allowHostCompat() && FALLBACK_KINDS.contains(e.kind())) {
                return onHost(request, output, "guest execution is unavailable here (" + e.getMessage() + ")", started);
            }
            throw e;
        }
        if (request.network().enabled()) {
            prepareNetwork(resolved, request.network(), progress);
        }
        return inVm(request, resolved, accel, output, progress, started);
    }

    /**
     * Readies the host for a networked VM (installs passt when allowed, checks the tap back end's
     * privileges) and proves guest_network once for these artifacts.
     */
    public void prepareNetwork(ResolvedRuntime resolved, dev.pyro.NetworkRequest network, ProgressListener progress) {
        launcher.prepareNetwork(network, progress);
        if (!capabilityCheck.networkProven(resolved)) {
            capabilityCheck.proveNetwork(resolved.environment(), progress);
        }
    }

    /** The known environment names. */
    public List<String> environments() {
        return runtime.environments().stream().map(EnvironmentRecipe::name).toList();
    }

    /** Whether host-compat may stand in for the guest after this failure (not for bad input). */
    public static boolean canFallBack(PyroException e) {
        return FALLBACK_KINDS.contains(e.kind());
    }

    /**
     * The installed runtime for {@code environment}. On first use it is pulled from
     * {@code PYRO_REGISTRY} when that is set, else built; either way with progress. Then it is
     * proven with a real boot and exec unless exactly these artifacts were proven before.
     */
    public ResolvedRuntime prepare(String environment, ProgressListener progress) {
        ResolvedRuntime resolved;
        try {
            resolved = runtime.resolve(environment, progress);
        } catch (PyroException e) {
            if (e.kind() != PyroException.Kind.RUNTIME_NOT_READY) {
                throw e;
            }
            refuseCorrupt(environment);
            if (runtime.hasDefaultRegistry()) {
                progress.onProgress(ProgressEvent.of("pull", "first use: pulling " + environment + " from "
                        + runtime.ociSettings().registry().orElseThrow() + " (cached for later runs)"));
                runtime.pull(environment, progress);
            } else {
                progress.onProgress(ProgressEvent.of("runtime",
                        "first use: building the guest runtime for " + environment + " (cached for later runs)"));
                runtime.materialize(List.of(environment), progress);
            }
            resolved = runtime.resolve(environment, progress);
        }
        if (!capabilityCheck.proven(resolved)) {
            capabilityCheck.prove(environment, progress);
        }
        return resolved;
    }

    /**
     * A corrupt artifact is not replaced behind the user's back: its content changed after it
     * was verified at install, which deserves a look (disk trouble, tampering) and a deliberate fix.
     */
    private void refuseCorrupt(String environment) {
        dev.pyro.internal.runtime.RuntimeStatus status = runtime.status(false, ProgressListener.NONE);
        EnvironmentState state = status.environment(environment).orElse(null);
        boolean pulled = state != null && RuntimeLock.PULLED.equals(state.source());
        for (ComponentStatus c : status.components()) {
            boolean concerned = c.id().equals(RuntimeLock.rootfsId(environment))
                    || !pulled && (c.id().equals("kernel") || c.id().equals("agent"));
            if (concerned && c.state() == ComponentState.CORRUPT) {
                String fix = pulled ? "pyro env pull " + environment
                        : c.id().startsWith("rootfs:") ? "pyro runtime build-rootfs " + environment + " --force"
                        : "pyro runtime build-" + c.id() + " --force";
                throw new PyroException(PyroException.Kind.RUNTIME_NOT_READY, c.id() + " is corrupt ("
                        + (c.detail() == null ? "its content changed since it was installed" : c.detail())
                        + "); " + (pulled ? "pull it again with: " : "rebuild it with: ") + fix);
            }
        }
    }

    private RunResult inVm(RunRequest request, ResolvedRuntime resolved, VmLauncher.AccelChoice accel,
            OutputListener output, ProgressListener progress, long started) {
        OutputCapture capture = new OutputCapture(output, request.outputLimitBytes());
        long bootStarted = System.nanoTime();
        String id = launcher.newVmId();
        // One-shot VMs are not in the state store: the address pick skips only the host's own
        // (TAP) addresses; user back end VMs are isolated from each other whatever their addresses.
        Optional<dev.pyro.internal.net.NetworkPlan> plan = dev.pyro.internal.net.NetworkPlanner.plan(request.network(),
                id, Set.of());
        VmLauncher.Options options = new VmLauncher.Options(request.vcpuCount(), request.memMib(),
                Duration.ofSeconds(request.ttlSeconds()), true, Optional.empty(), plan);
        try (VmLauncher.Launched vm = launcher.boot(id, resolved, options, accel, progress)) {
            long bootMs = millisSince(bootStarted);
            long execStarted = System.nanoTime();
            int exitCode;
            boolean timedOut = false;
            ExecRequest exec = ExecRequest.of(request.command())
                    .withCwd(GUEST_CWD)
                    .withTimeout(Duration.ofSeconds(request.timeoutSeconds()));
            try {
                ExecResult result = vm.guest().exec(exec, capture);
                exitCode = result.exitCode();
                timedOut = result.timedOut();
            } catch (ExecFailedException e) {
                exitCode = e.shellExitCode();
                byte[] message = (cannotStart(request.command(), e) + "\n").getBytes(StandardCharsets.UTF_8);
                capture.onStderr(message, 0, message.length);
            }
            long execMs = millisSince(execStarted);
            long teardownStarted = System.nanoTime();
            vm.shutdown();
            long teardownMs = millisSince(teardownStarted);
            return new RunResult(request.environment(), "qemu", vm.accel(), vm.executionMode(), exitCode,
                    capture.stdout(), capture.stderr(), capture.stdoutTruncated(), capture.stderrTruncated(), timedOut,
                    millisSince(started), new Timings(bootMs, execMs, teardownMs), vm.id(), vm.kernelRelease(),
                    accel.note(), plan.map(dev.pyro.internal.net.NetworkPlan::info).orElse(dev.pyro.NetworkInfo.OFF));
        }
    }

    /** The stderr line for a command the guest could not start, with a hint for the common mistake. */
    static String cannotStart(List<String> command, ExecFailedException e) {
        String program = command.get(0);
        StringBuilder line = new StringBuilder("pyro: ").append(e.getMessage());
        if (program.contains(" ") || program.contains("|") || program.contains(";")) {
            line.append("; to run a shell command line, use: sh -c '").append(program).append("'");
        } else {
            line.append("; ").append(e.hint());
        }
        return line.toString();
    }

    private RunResult onHost(RunRequest request, OutputListener output, String reason, long started) {
        hostExecution.requireForRequest();
        OutputCapture capture = new OutputCapture(output, request.outputLimitBytes());
        Path dir = null;
        try {
            Files.createDirectories(paths.homeDir());
            dir = Files.createTempDirectory(paths.homeDir(), "host-compat-");
            Map<String, String> env = new LinkedHashMap<>();
            env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
            env.put("HOME", dir.toString());
            env.put("LANG", "C.UTF-8");
            env.put("TERM", "dumb");
            long execStarted = System.nanoTime();
            HostCommand.Outcome outcome = HostCommand.run(request.command(), dir, env,
                    Duration.ofSeconds(request.timeoutSeconds()), capture);
            long execMs = millisSince(execStarted);
            long teardownStarted = System.nanoTime();
            Dirs.deleteQuietly(dir);
            dir = null;
            return new RunResult(request.environment(), "host_compat", Accel.NONE, ExecutionMode.HOST_COMPAT,
                    outcome.exitCode(), capture.stdout(), capture.stderr(), capture.stdoutTruncated(),
                    capture.stderrTruncated(), outcome.timedOut(), millisSince(started),
                    new Timings(0, execMs, millisSince(teardownStarted)), "", "",
                    Optional.of("ran on the host WITHOUT isolation (host-compat): " + reason));
        } catch (IOException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot create a host-compat directory under "
                    + paths.homeDir() + " (" + e.getMessage() + "); check PYRO_HOME's permissions");
        } finally {
            if (dir != null) {
                Dirs.deleteQuietly(dir);
            }
        }
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000L;
    }
}
