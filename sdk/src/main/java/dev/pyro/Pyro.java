package dev.pyro;

import dev.pyro.internal.access.HostExecutionDoor;
import dev.pyro.internal.access.HostPathDoor;
import dev.pyro.internal.doctor.Doctor;
import dev.pyro.internal.machine.MachineExec;
import dev.pyro.internal.machine.MachineManager;
import dev.pyro.internal.machine.WorkspaceContent;
import dev.pyro.internal.archive.ImportCaps;
import dev.pyro.internal.state.SqliteNative;
import dev.pyro.internal.state.StateStore;
import dev.pyro.internal.run.CapabilityCheck;
import dev.pyro.internal.run.OneShotRunner;
import dev.pyro.internal.run.StatusViews;
import dev.pyro.internal.run.VmLauncher;
import dev.pyro.internal.run.EnvironmentViews;
import dev.pyro.internal.oci.OciSettings;
import dev.pyro.internal.runtime.RuntimeBuilder;
import dev.pyro.internal.runtime.RuntimePaths;
import dev.pyro.internal.runtime.RuntimeSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * The pyro SDK: isolated, disposable Linux microVMs. One instance per process is typical;
 * it is thread-safe, and closing it kills any VM it still runs.
 *
 * <pre>{@code
 * try (Pyro pyro = Pyro.create()) {
 *     RunResult r = pyro.run(RunRequest.builder(Pyro.DEFAULT_ENVIRONMENT, "uname", "-r").build());
 *     System.out.println(r.exitCode() + " " + r.stdoutText());
 * }
 * }</pre>
 *
 * <p>Every method throws {@link PyroException} for problems a caller can act on; its message
 * is one line naming the problem and the fix.
 */
public final class Pyro implements AutoCloseable {
    /** The default environment: Debian 12 with Git, ca-certificates and curl. */
    public static final String DEFAULT_ENVIRONMENT = OneShotRunner.DEFAULT_ENVIRONMENT;

    private final RuntimePaths paths;
    private final ProgressListener progress;
    private final RuntimeBuilder runtime;
    private final VmLauncher launcher;
    private final OneShotRunner runner;
    private final java.util.Map<String, String> environment;
    private final HostAccess hostAccess;
    private final HostExecutionDoor hostExecution;
    private Vms vms;
    private Workspaces workspaces;

    private Pyro(Builder builder) {
        RuntimePaths defaults = RuntimePaths.fromEnvironment(builder.environment,
                Path.of(System.getProperty("user.home")));
        this.paths = new RuntimePaths(
                builder.cacheDir != null ? builder.cacheDir : defaults.cacheDir(),
                builder.home != null ? builder.home : defaults.homeDir());
        this.progress = builder.progress;
        this.runtime = RuntimeBuilder.create(paths, RuntimeSettings.fromEnvironment(builder.environment),
                OciSettings.fromEnvironment(builder.environment, Path.of(System.getProperty("user.home"))));
        this.launcher = new VmLauncher(paths, builder.environment);
        CapabilityCheck check = new CapabilityCheck(runtime, launcher);
        this.hostAccess = builder.hostAccess;
        this.hostExecution = new HostExecutionDoor(hostAccess);
        this.runner = new OneShotRunner(runtime, launcher, check, paths, hostExecution);
        this.environment = builder.environment;
    }

    /** VMs with an explicit lifecycle (create, start, exec, stop, delete, ...). */
    public synchronized Vms vms() {
        if (vms == null) {
            MachineManager machines = machines();
            vms = new Vms(machines, new MachineExec(machines, hostExecution), progress);
        }
        return vms;
    }

    /** Persistent workspaces (create with a seed, exec, sync, export, stop/start, ...). */
    public synchronized Workspaces workspaces() {
        if (workspaces == null) {
            MachineManager machines = machines();
            workspaces = new Workspaces(machines, new MachineExec(machines, hostExecution),
                    new WorkspaceContent(machines, ImportCaps.from(environment), new HostPathDoor(hostAccess)), progress);
        }
        return workspaces;
    }

    private MachineManager machineManager;

    /** The state store is opened on first use: one-shot runs never need it. */
    private MachineManager machines() {
        if (machineManager == null) {
            SqliteNative.prepare(paths.cacheDir());
            machineManager = new MachineManager(paths, runner, launcher, StateStore.openInHome(paths.homeDir()),
                    environment);
        }
        return machineManager;
    }

    /** An instance configured from the environment ({@code PYRO_HOME}, {@code PYRO_CACHE_DIR}, ...). */
    public static Pyro create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** This SDK's version. */
    public static String version() {
        Properties p = new Properties();
        try (InputStream in = Pyro.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.getProperty("version", "0+unknown");
    }

    /** Runs a command in a fresh VM and deletes the VM; output is kept in the result. */
    public RunResult run(RunRequest request) {
        return run(request, OutputListener.NONE);
    }

    /**
     * Runs a command in a fresh VM and deletes the VM, streaming the command's output to
     * {@code output} as it arrives (and keeping it in the result up to the request's limit).
     * On first use this builds the guest runtime (minutes; reported to the progress listener).
     *
     * @throws PyroException INVALID_ARGUMENT for a bad request (unknown environment, empty
     *     command, out-of-range resources), HOST_SETUP, RUNTIME_NOT_READY, BUILD_FAILED or
     *     VM_FAILED when the VM could not be provided
     */
    public RunResult run(RunRequest request, OutputListener output) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(output, "output");
        return runner.run(request, output, progress);
    }

    /**
     * The environment catalog with each environment's local state (installed or not, source,
     * size, digest, capabilities), sorted by name. The names alone:
     * {@code environments().stream().map(EnvironmentInfo::name)}.
     */
    public List<EnvironmentInfo> environments() {
        return EnvironmentViews.infos(runtime.status(false, ProgressListener.NONE));
    }

    /**
     * Builds an environment locally (its kernel and guest agent first, when missing) unless an
     * intact build from the current recipes is installed, and makes it the one the environment
     * uses (also when a pulled one was in use).
     *
     * @throws PyroException INVALID_ARGUMENT for an unknown environment; HOST_SETUP, BUILD_FAILED
     */
    public EnvironmentInfo buildEnvironment(String environment) {
        return buildEnvironment(environment, false);
    }

    /** {@link #buildEnvironment(String)}; {@code force} bootstraps and builds the image again. */
    public EnvironmentInfo buildEnvironment(String environment, boolean force) {
        Objects.requireNonNull(environment, "environment");
        runtime.environment(environment); // an unknown name fails before minutes of work
        runtime.buildKernel(false, progress);
        runtime.buildRootfs(environment, force, progress);
        return environmentInfo(environment);
    }

    /**
     * Pulls an environment from an OCI registry, verifies every blob and file, and installs it
     * atomically (an interrupted pull leaves nothing installed; the next one resumes it).
     *
     * @param reference {@code ENV} or {@code ENV@sha256:...} (from {@code PYRO_REGISTRY}), or a
     *     full reference {@code REGISTRY/REPOSITORY:TAG[@sha256:...]}
     * @throws PyroException INVALID_ARGUMENT (unknown environment, malformed reference, no
     *     registry set), NOT_FOUND (unknown tag), HOST_SETUP (unreachable registry, refused
     *     login, full disk), RUNTIME_NOT_READY (digest mismatch)
     */
    public PullResult pullEnvironment(String reference) {
        Objects.requireNonNull(reference, "reference");
        dev.pyro.internal.runtime.PullOutcome outcome = runtime.pull(reference, progress);
        return EnvironmentViews.pull(outcome, environmentInfo(outcome.environment()));
    }

    /** Everything about one environment: state, manifest, packages, kernel, digests, capabilities. */
    public EnvironmentDetails inspectEnvironment(String environment) {
        Objects.requireNonNull(environment, "environment");
        dev.pyro.internal.runtime.RuntimeStatus status = runtime.status(false, ProgressListener.NONE);
        dev.pyro.internal.runtime.EnvironmentState state = status.environment(environment).orElse(null);
        if (state == null) {
            runtime.environment(environment); // throws the "unknown environment" error
            throw new IllegalStateException("environment " + environment + " has no state");
        }
        return EnvironmentViews.details(state, status.capabilitiesOf(environment));
    }

    /** Removes stale and broken environment entries and leftover downloads; keeps the good ones. */
    public PruneResult pruneEnvironments() {
        return EnvironmentViews.prune(runtime.prune(progress));
    }

    /**
     * Publishes an installed environment to an OCI registry as a pyro artifact
     * (docs/oci-artifact.md), with chunked uploads. Logins come from PYRO_REGISTRY_USERNAME and
     * PYRO_REGISTRY_PASSWORD or the Docker config file.
     *
     * @param target {@code REGISTRY/REPOSITORY:TAG}
     */
    public PublishResult publishEnvironment(String environment, String target) {
        Objects.requireNonNull(environment, "environment");
        Objects.requireNonNull(target, "target");
        return EnvironmentViews.publish(runtime.publish(environment, target, progress));
    }

    private EnvironmentInfo environmentInfo(String environment) {
        dev.pyro.internal.runtime.RuntimeStatus status = runtime.status(false, ProgressListener.NONE);
        return EnvironmentViews.info(status.environment(environment).orElseThrow(), status.capabilitiesOf(environment));
    }

    /** Inspects the host and the runtime; probes KVM with a real boot. */
    public DoctorReport doctor() {
        return new Doctor(paths, runtime, launcher).report();
    }

    /**
     * The runtime's components and capability flags.
     *
     * @param verifyHashes re-hash every artifact (slower) instead of the cheap size/mtime check
     */
    public RuntimeStatus runtimeStatus(boolean verifyHashes) {
        return StatusViews.of(runtime.status(verifyHashes, progress));
    }

    /** Builds the guest kernel unless it is up to date (or {@code force}). */
    public RuntimeStatus buildKernel(boolean force) {
        runtime.buildKernel(force, progress);
        return runtimeStatus(false);
    }

    /** Builds the guest agent unless it is up to date (or {@code force}). */
    public RuntimeStatus buildAgent(boolean force) {
        runtime.buildAgent(force, progress);
        return runtimeStatus(false);
    }

    /** Builds an environment's root image unless it is up to date (or {@code force}). */
    public RuntimeStatus buildRootfs(String environment, boolean force) {
        runtime.buildRootfs(environment, force, progress);
        return runtimeStatus(false);
    }

    /**
     * Builds whatever is missing for the given environments ({@link #DEFAULT_ENVIRONMENT} when
     * empty; environments installed from a registry need nothing built), then proves {@code vm_boot} and {@code guest_exec} with a real boot and exec
     * and records them in the runtime lock; and {@code guest_network} with a real fetch from the
     * guest when passt (the user network back end) is installed.
     */
    public RuntimeStatus materialize(List<String> environments) {
        List<String> wanted = environments.isEmpty() ? List.of(OneShotRunner.DEFAULT_ENVIRONMENT) : environments;
        runtime.materialize(wanted, progress);
        boolean passt = dev.pyro.internal.net.HostNetwork.tool("passt").isPresent();
        for (String environment : wanted) {
            runner.capabilityCheck().prove(environment, progress);
            if (passt) {
                runner.capabilityCheck().proveNetwork(environment, progress);
            }
        }
        if (!passt) {
            progress.onProgress(ProgressEvent.of("check", "guest_network not checked: the user network back end"
                    + " needs passt (apt-get install passt)"));
        }
        return runtimeStatus(false);
    }

    /** What callers of this instance may reach on the host (paths, host-compat). */
    public HostAccess hostAccess() {
        return hostAccess;
    }

    /** PYRO_HOME: state and per-VM directories. */
    public Path home() {
        return paths.homeDir();
    }

    /** PYRO_CACHE_DIR: built and downloaded artifacts. */
    public Path cacheDir() {
        return paths.cacheDir();
    }

    /** Kills every one-shot VM this instance still runs and closes its agent connections (workspaces keep running). Never throws. */
    @Override
    public void close() {
        synchronized (this) {
            if (machineManager != null) {
                machineManager.close();
            }
        }
        launcher.close();
    }

    /** Configures a {@link Pyro}; unset values come from the environment variables. */
    public static final class Builder {
        private Path home;
        private Path cacheDir;
        private ProgressListener progress = ProgressListener.NONE;
        private Map<String, String> environment = System.getenv();
        private HostAccess hostAccess = HostAccess.unrestricted();

        private Builder() {
        }

        /**
         * What callers may reach on the host (default {@link HostAccess#unrestricted()}, for a
         * user who types the request). A front-end acting for a model confines it.
         */
        public Builder hostAccess(HostAccess hostAccess) {
            this.hostAccess = Objects.requireNonNull(hostAccess, "hostAccess");
            return this;
        }

        /** State directory (default: PYRO_HOME, else ~/.local/share/pyro). */
        public Builder home(Path home) {
            this.home = home;
            return this;
        }

        /** Artifact cache (default: PYRO_CACHE_DIR, else ~/.cache/pyro). */
        public Builder cacheDir(Path cacheDir) {
            this.cacheDir = cacheDir;
            return this;
        }

        /** Receives progress of long work (builds, boots). */
        public Builder progress(ProgressListener progress) {
            this.progress = Objects.requireNonNull(progress, "progress");
            return this;
        }

        /** Environment variables to read settings from (default: this process's). */
        public Builder environment(Map<String, String> environment) {
            this.environment = Map.copyOf(environment);
            return this;
        }

        public Pyro build() {
            return new Pyro(this);
        }
    }
}
