package dev.pyro.internal.run;

import dev.pyro.Accel;
import dev.pyro.DoctorReport;
import dev.pyro.ExecutionMode;
import dev.pyro.ProgressEvent;
import dev.pyro.ProgressListener;
import dev.pyro.PyroException;
import dev.pyro.internal.engine.PersistentEngine;
import dev.pyro.internal.engine.RunningVm;
import dev.pyro.internal.engine.VmSpec;
import dev.pyro.internal.engine.qemu.KvmProbe;
import dev.pyro.internal.engine.qemu.QemuBinary;
import dev.pyro.internal.engine.qemu.QemuEngine;
import dev.pyro.internal.guest.GuestClient;
import dev.pyro.internal.host.HostRequirements;
import dev.pyro.internal.host.HostTools;
import dev.pyro.internal.runtime.ResolvedRuntime;
import dev.pyro.internal.runtime.RuntimePaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Boots VMs for the SDK: finds (or installs) QEMU, picks the accelerator from a cached real
 * KVM probe, gives each VM a run directory under {@code PYRO_HOME/runs/}, enforces the VM's
 * TTL from the host side, and kills whatever is still running when closed.
 */
public final class VmLauncher implements AutoCloseable {
    /** Boot deadline under software emulation; a cold TCG boot takes a few seconds here. */
    private static final Duration TCG_BOOT_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration KVM_BOOT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);
    private static final int KEPT_FAILED_RUNS = 20;

    private final RuntimePaths paths;
    private final Map<String, String> env;
    private final HostTools tools;
    private final KvmProbeCache probeCache;
    private final Set<Launched> live = ConcurrentHashMap.newKeySet();
    private final SecureRandom random = new SecureRandom();
    private volatile QemuEngine engine;
    private volatile ScheduledExecutorService ttlTimer;

    public VmLauncher(RuntimePaths paths, Map<String, String> env) {
        this.paths = paths;
        this.env = env;
        this.tools = HostTools.fromEnvironment(env, paths.logsDir(), paths.aptListsStamp());
        this.probeCache = new KvmProbeCache(paths.cacheDir().resolve("kvm-probe.json"));
    }

    /** Which accelerator a VM gets, and the note for the user when it is the slow one. */
    public record AccelChoice(Accel accel, Optional<String> note) {
    }

    /**
     * How to boot.
     *
     * @param vcpuCount vCPUs
     * @param memMib memory
     * @param ttl hard lifetime (the guest powers off; the host kills it too)
     * @param ephemeral dies with this JVM and when the host side of its channel closes
     * @param writableDisk the overlay's upper layer on a disk, or guest memory when empty
     * @param network the guest's network, or none
     */
    public record Options(int vcpuCount, int memMib, Duration ttl, boolean ephemeral, Optional<Path> writableDisk,
            Optional<dev.pyro.internal.net.NetworkPlan> network) {
        /** Without a network. */
        public Options(int vcpuCount, int memMib, Duration ttl, boolean ephemeral, Optional<Path> writableDisk) {
            this(vcpuCount, memMib, ttl, ephemeral, writableDisk, Optional.empty());
        }
    }

    /**
     * Makes sure the host side of {@code request}'s back end can work here: installs passt
     * when allowed (user back end), checks privileges and tools (tap back end).
     */
    public void prepareNetwork(dev.pyro.NetworkRequest request, ProgressListener progress) {
        if (!request.enabled()) {
            return;
        }
        if (dev.pyro.internal.net.NetworkPlanner.backend(request) == dev.pyro.internal.net.Backend.USER) {
            tools.ensure(List.of(HostRequirements.PASST), progress);
        }
        dev.pyro.internal.net.NetworkPlanner.checkUsable(request);
    }

    /** A fresh VM id (one-shot runs); exposed so a network plan can be made for it before boot. */
    public String newVmId() {
        return newId();
    }

    /** The QEMU binary, installing it first when allowed. */
    private QemuEngine engine(ProgressListener progress) {
        QemuEngine e = engine;
        if (e == null) {
            synchronized (this) {
                if (engine == null) {
                    if (env.get(QemuBinary.ENV_OVERRIDE) == null) {
                        tools.ensure(List.of(HostRequirements.QEMU), progress);
                    }
                    engine = new QemuEngine(QemuBinary.locate(env, paths.cacheDir().resolve("qemu-version.properties")));
                }
                e = engine;
            }
        }
        return e;
    }

    /**
     * KVM when a real probe (cached per QEMU, kernel and host kernel) showed it works, TCG
     * otherwise. {@code PYRO_ACCEL=kvm|tcg} forces one.
     */
    public AccelChoice chooseAccel(ResolvedRuntime runtime, ProgressListener progress) {
        QemuEngine qemu = engine(progress);
        String forced = env.getOrDefault("PYRO_ACCEL", "").trim().toLowerCase(Locale.ROOT);
        if (forced.equals("tcg")) {
            return new AccelChoice(Accel.TCG, Optional.of("software emulation (tcg) as PYRO_ACCEL asks"));
        }
        if (!forced.isEmpty() && !forced.equals("kvm") && !forced.equals("auto")) {
            throw PyroException.invalidArgument("PYRO_ACCEL=" + forced + " is not one of kvm, tcg, auto; fix or unset it");
        }
        KvmProbe.Inputs inputs = KvmProbe.Inputs.of(qemu.binary(), runtime.bzImage());
        KvmProbe.Result result = probeCache.get(inputs).orElseGet(() -> {
            if (Files.exists(KvmProbe.DEV_KVM)) {
                progress.onProgress(ProgressEvent.of("boot", "probing KVM with a real boot (once per host and kernel)"));
            }
            KvmProbe.Result fresh = KvmProbe.probe(qemu.binary(), runtime.bzImage());
            probeCache.put(fresh);
            return fresh;
        });
        KvmProbe.AccelChoice choice = KvmProbe.choose(forced.equals("kvm") ? Accel.KVM : null, result);
        return new AccelChoice(choice.accel(),
                choice.accel() == Accel.TCG ? Optional.of(choice.reason()) : Optional.empty());
    }

    /** The engine, for persistent VMs (attach, stop, kill from any process). */
    public QemuEngine persistentEngine(ProgressListener progress) {
        return engine(progress);
    }

    /**
     * Boots a persistent VM (it outlives this JVM) from the given kernel, image and writable
     * disk, in {@code runDir}, with several agent ports. The caller records the returned ref
     * and closes the returned connection when done with it.
     */
    public PersistentEngine.Booted bootPersistent(String id, Path runDir, Path kernel, Path image, Path disk,
            int vcpuCount, int memMib, Duration ttl, AccelChoice accel,
            Optional<dev.pyro.internal.net.NetworkPlan> network, ProgressListener progress) {
        QemuEngine qemu = engine(progress);
        VmSpec spec = new VmSpec(id, runDir, kernel, image, Optional.of(disk), vcpuCount, memMib, accel.accel(), false,
                ttl, bootTimeout(accel.accel()), VmSpec.DEFAULT_PERSISTENT_AGENT_PORTS, network);
        return qemu.bootPersistent(spec, progress);
    }

    /** Boots a VM of the resolved runtime; the caller closes the returned handle. */
    public Launched boot(ResolvedRuntime runtime, Options options, AccelChoice accel, ProgressListener progress) {
        return boot(newId(), runtime, options, accel, progress);
    }

    /** {@link #boot(ResolvedRuntime, Options, AccelChoice, ProgressListener)} with a given VM id (see {@link #newVmId()}). */
    public Launched boot(String id, ResolvedRuntime runtime, Options options, AccelChoice accel,
            ProgressListener progress) {
        QemuEngine qemu = engine(progress);
        Path runDir = paths.homeDir().resolve("runs").resolve(id);
        Duration bootTimeout = bootTimeout(accel.accel());
        // The uncompressed PVH vmlinux boots ~18% faster than bzImage under QEMU (no decompression).
        VmSpec spec = new VmSpec(id, runDir, runtime.vmlinux(), runtime.rootImage(), options.writableDisk(),
                options.vcpuCount(), options.memMib(), accel.accel(), options.ephemeral(), options.ttl(), bootTimeout,
                1, options.network());
        RunningVm vm;
        try {
            vm = qemu.boot(spec, progress);
        } catch (PyroException e) {
            // The engine left the console log in the run directory and named it in the message.
            pruneFailedRuns();
            if (e.getMessage().contains("build-rootfs <environment>")) {
                // The engine knows the image, not its environment: name the exact fix. The
                // image passed the install-time check, so only a forced rebuild replaces it.
                throw new PyroException(e.kind(), e.getMessage().replace("build-rootfs <environment>",
                        "build-rootfs " + runtime.environment() + " --force"), e);
            }
            throw e;
        }
        Launched launched = new Launched(vm, runDir);
        live.add(launched);
        launched.ttlKill = timer().schedule(launched::kill, options.ttl().toMillis(), TimeUnit.MILLISECONDS);
        return launched;
    }

    private Duration bootTimeout(Accel accel) {
        String override = env.get("PYRO_BOOT_TIMEOUT_SECONDS");
        if (override != null && !override.isBlank()) {
            try {
                return Duration.ofSeconds(Long.parseLong(override.trim()));
            } catch (NumberFormatException e) {
                throw PyroException.invalidArgument("PYRO_BOOT_TIMEOUT_SECONDS=" + override + " is not a number of seconds");
            }
        }
        return accel == Accel.KVM ? KVM_BOOT_TIMEOUT : TCG_BOOT_TIMEOUT;
    }

    private String newId() {
        byte[] b = new byte[4];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private synchronized ScheduledExecutorService timer() {
        if (ttlTimer == null) {
            ttlTimer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "pyro-vm-ttl");
                t.setDaemon(true);
                return t;
            });
        }
        return ttlTimer;
    }

    /** Keeps the newest failed run directories (their console logs) and deletes older ones. */
    private void pruneFailedRuns() {
        Path runs = paths.homeDir().resolve("runs");
        try (var dirs = Files.list(runs)) {
            List<Path> all = dirs.filter(Files::isDirectory)
                    .sorted((a, b) -> Long.compare(modified(b), modified(a)))
                    .toList();
            all.stream().skip(KEPT_FAILED_RUNS).forEach(Dirs::deleteQuietly);
        } catch (IOException e) {
            // Nothing to prune.
        }
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    /** QEMU's path, without installing anything (doctor). */
    public Optional<Path> qemuBinary() {
        try {
            return Optional.of(QemuBinary.locate(env).path());
        } catch (PyroException e) {
            return Optional.empty();
        }
    }

    /** QEMU's version line, if it is installed (doctor). */
    public Optional<String> qemuVersion() {
        try {
            return Optional.ofNullable(QemuBinary.locate(env).version());
        } catch (PyroException e) {
            return Optional.empty();
        }
    }

    public Optional<Path> findOnPath(String command) {
        return tools.find(command);
    }

    /** A fresh KVM probe with {@code kernel} (doctor); refreshes the cache. */
    public DoctorReport.Kvm probeKvm(Optional<Path> kernel) {
        boolean exists = Files.exists(KvmProbe.DEV_KVM);
        boolean readable = exists && Files.isReadable(KvmProbe.DEV_KVM);
        boolean writable = exists && Files.isWritable(KvmProbe.DEV_KVM);
        if (!exists) {
            return new DoctorReport.Kvm(false, false, false, Optional.of(false), "/dev/kvm does not exist");
        }
        Optional<QemuBinary> qemu;
        try {
            qemu = Optional.of(QemuBinary.locate(env));
        } catch (PyroException e) {
            qemu = Optional.empty();
        }
        if (kernel.isEmpty() || qemu.isEmpty()) {
            return new DoctorReport.Kvm(true, readable, writable, Optional.empty(), "not probed: the probe boots the"
                    + " guest kernel with QEMU; " + (qemu.isEmpty() ? "install QEMU" : "build the kernel (pyro runtime build-kernel)")
                    + " first");
        }
        KvmProbe.Result result = KvmProbe.probe(qemu.get(), kernel.get());
        probeCache.put(result);
        return new DoctorReport.Kvm(true, readable, result.deviceOpens() && writable, Optional.of(result.usable()),
                result.reason());
    }

    @Override
    public void close() {
        for (Launched vm : List.copyOf(live)) {
            vm.close();
        }
        ScheduledExecutorService t = ttlTimer;
        if (t != null) {
            t.shutdownNow();
        }
    }

    /** A booted VM and its run directory; closing kills the VM and removes the directory. */
    public final class Launched implements AutoCloseable {
        private final RunningVm vm;
        private final Path runDir;
        private volatile boolean keepLog;
        private volatile ScheduledFuture<?> ttlKill;

        private Launched(RunningVm vm, Path runDir) {
            this.vm = vm;
            this.runDir = runDir;
        }

        public String id() {
            return vm.id();
        }

        public GuestClient guest() {
            return vm.guest();
        }

        public Accel accel() {
            return vm.accel();
        }

        public ExecutionMode executionMode() {
            return vm.executionMode();
        }

        public String kernelRelease() {
            return vm.hello().kernelRelease();
        }

        public Path consoleLog() {
            return vm.consoleLog();
        }

        /** Keep the run directory (console log) for the user to read after a failure. */
        public void keepConsoleLog() {
            keepLog = true;
        }

        /** Clean shutdown: the guest syncs and powers off; killed if it takes too long. */
        public void shutdown() {
            vm.shutdown(SHUTDOWN_TIMEOUT);
        }

        void kill() {
            keepLog = true;
            vm.kill();
        }

        @Override
        public void close() {
            ScheduledFuture<?> f = ttlKill;
            if (f != null) {
                f.cancel(false);
            }
            vm.close();
            live.remove(this);
            if (!keepLog) {
                Dirs.deleteQuietly(runDir);
            } else {
                pruneFailedRuns();
            }
        }
    }
}
