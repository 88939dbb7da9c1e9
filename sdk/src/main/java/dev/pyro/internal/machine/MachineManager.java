package dev.pyro.internal.machine;

import dev.pyro.ExecutionMode;
import dev.pyro.MachineRequest;
import dev.pyro.ProgressEvent;
import dev.pyro.ProgressListener;
import dev.pyro.PyroException;
import dev.pyro.internal.engine.AgentConnection;
import dev.pyro.internal.engine.PersistentEngine;
import dev.pyro.internal.engine.PersistentVmRef;
import dev.pyro.internal.engine.WritableDisk;
import dev.pyro.internal.engine.qemu.QemuEngine;
import dev.pyro.internal.host.ProcessIdentity;
import dev.pyro.internal.run.Dirs;
import dev.pyro.internal.run.OneShotRunner;
import dev.pyro.internal.run.VmLauncher;
import dev.pyro.internal.runtime.ResolvedRuntime;
import dev.pyro.internal.runtime.RuntimePaths;
import dev.pyro.internal.state.MachineKind;
import dev.pyro.internal.state.MachineRecord;
import dev.pyro.internal.state.MachineState;
import dev.pyro.internal.state.Reconcile;
import dev.pyro.internal.state.StateStore;
import dev.pyro.internal.state.UpdateResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The lifecycle of persistent VMs and workspaces (docs/state.md): create, start, stop, delete,
 * status, list and reap, safe when several pyro processes act on the same machines at once.
 * Every transition is a compare-and-set on the machine's state in the state store; every read
 * reconciles the record with reality (a VM whose VMM died is never shown as started).
 */
public final class MachineManager implements AutoCloseable {
    /** Size of a machine's sparse writable disk; only what the guest writes takes space. */
    static final int DEFAULT_DISK_GIB = 8;
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final RuntimePaths paths;
    private final OneShotRunner runner;
    private final VmLauncher launcher;
    private final StateStore store;
    private final int diskGib;
    private final AgentConnections connections;

    public MachineManager(RuntimePaths paths, OneShotRunner runner, VmLauncher launcher, StateStore store,
            java.util.Map<String, String> env) {
        this.paths = paths;
        this.runner = runner;
        this.launcher = launcher;
        this.store = store;
        this.diskGib = diskGib(env);
        this.connections = new AgentConnections(launcher::persistentEngine);
    }

    /**
     * This process's connection to a started machine's agent, kept open for later operations
     * (attached on first use; replaced if the VM restarted or the connection broke).
     */
    public AgentConnection connection(MachineRecord m, ProgressListener progress) {
        PersistentVmRef ref = PersistentVmRef.fromJson(m.engineRef().orElseThrow());
        return connections.get(ref, MachineExec.ATTACH_WAIT, progress);
    }

    /** Drops this process's connection to a machine (after it broke). */
    public void dropConnection(String id) {
        connections.release(id);
    }

    /** Closes this process's agent connections; the machines keep running. */
    @Override
    public void close() {
        connections.close();
    }

    public StateStore store() {
        return store;
    }

    // ---------------------------------------------------------------- create

    /**
     * Records a new machine with its own writable disk, in state CREATED (nothing runs yet).
     * With {@code allowHostCompat} and guest execution unavailable here, the machine is a
     * host-compat one: a host directory stands in for the guest.
     */
    public MachineRecord create(MachineKind kind, MachineRequest request, ProgressListener progress) {
        reapExpiredQuietly(progress);
        MachineValidation.check(request, kind, runner.environments());
        if (request.allowHostCompat() || request.engine().equals("host_compat")) {
            // Before any work: a refused request must not reach the fallback below, whatever the VM does.
            runner.hostExecution().requireForRequest();
        }
        ResolvedRuntime resolved = null;
        String hostCompatReason = null;
        if (request.engine().equals("host_compat")) {
            hostCompatReason = "requested with engine host_compat";
        } else {
            try {
                resolved = runner.prepare(request.environment(), progress);
            } catch (PyroException e) {
                if (!request.allowHostCompat() || !OneShotRunner.canFallBack(e)) {
                    throw e;
                }
                if (request.network().enabled()) {
                    throw new PyroException(e.kind(), e.getMessage() + "; and "
                            + dev.pyro.internal.run.RunValidation.hostCompatNetwork(), e);
                }
                hostCompatReason = e.getMessage();
            }
            if (request.network().enabled()) {
                runner.prepareNetwork(resolved, request.network(), progress);
            }
        }
        if (request.network().enabled()) {
            ResolvedRuntime r = resolved;
            String reason = hostCompatReason;
            // Picking a subnet and recording it must not interleave with another process's create.
            return dev.pyro.internal.net.NetworkPlanner.withAddressLock(paths.homeDir().resolve("network.lock"),
                    () -> insert(kind, request, r, reason, progress));
        }
        return insert(kind, request, resolved, hostCompatReason, progress);
    }

    /** The slots of the address pool that recorded machines hold. */
    private java.util.Set<Integer> takenSlots() {
        java.util.Set<Integer> taken = new java.util.HashSet<>();
        for (MachineRecord m : store.machines(Optional.empty())) {
            m.network().ifPresent(json -> {
                try {
                    taken.add(dev.pyro.internal.net.NetworkPlan.fromJson(json).slot());
                } catch (IllegalArgumentException e) {
                    // unreadable: from a newer pyro; its slot stays free here
                }
            });
        }
        return taken;
    }

    private MachineRecord insert(MachineKind kind, MachineRequest request, ResolvedRuntime resolved,
            String hostCompatReason, ProgressListener progress) {
        Instant now = Instant.now();
        java.util.Set<Integer> taken = request.network().enabled() ? takenSlots() : java.util.Set.of();
        for (int attempt = 0; attempt < 5; attempt++) {
            String id = StateStore.newId();
            Path runDir = paths.homeDir().resolve("vms").resolve(id);
            MachineRecord.Builder b = MachineRecord.builder(id, kind, request.environment(), now)
                    .vcpuCount(request.vcpuCount())
                    .memMib(request.memMib())
                    .ttlSeconds(request.ttlSeconds())
                    .runDir(runDir)
                    .allowHostCompat(request.allowHostCompat());
            dev.pyro.internal.net.NetworkPlanner.plan(request.network(), id, taken)
                    .ifPresent(plan -> b.network(plan.toJson()));
            if (resolved != null) {
                b.engine("qemu")
                        .diskPath(runDir.resolve("disk.ext4"))
                        .kernel(resolved.vmlinux(), resolved.kernelSha256())
                        .image(resolved.rootImage(), resolved.imageSha256());
            } else {
                progress.onProgress(ProgressEvent.of("create", "guest execution is unavailable here ("
                        + hostCompatReason + "); using a host directory WITHOUT isolation (host-compat), as allowed"));
                b.engine("host_compat")
                        .accel(dev.pyro.Accel.NONE)
                        .executionMode(ExecutionMode.HOST_COMPAT)
                        .workspaceDir(runDir.resolve("workspace"));
            }
            MachineRecord record = b.build();
            if (!store.insertMachine(record)) {
                continue; // id taken (8 hex digits): draw another
            }
            try {
                Files.createDirectories(runDir);
                if (resolved != null) {
                    progress.onProgress(ProgressEvent.of("create", "creating the " + diskGib
                            + " GiB sparse disk of " + MachineIds.noun(kind) + " " + id));
                    WritableDisk.create(record.diskPath().orElseThrow(), diskGib);
                } else {
                    Files.createDirectories(record.workspaceDir().orElseThrow());
                }
            } catch (IOException | RuntimeException e) {
                forget(record);
                throw e instanceof PyroException pe ? pe : new PyroException(PyroException.Kind.HOST_SETUP,
                        "cannot prepare " + runDir + " (" + e.getMessage() + "); check PYRO_HOME's permissions and free space");
            }
            return record;
        }
        throw new PyroException(PyroException.Kind.INTERNAL, "could not find a free machine id");
    }

    // ---------------------------------------------------------------- start

    /** A started machine. */
    public record Started(MachineRecord record) implements AutoCloseable {
        @Override
        public void close() {
            // The boot's connection stays in this process's pool for the next operation.
        }
    }

    /**
     * Boots a created, stopped or failed machine from its disk. Starting a started machine is a
     * no-op. The caller closes the returned value (it may hold the boot's agent connection).
     */
    public Started start(MachineKind kind, String id, ProgressListener progress) {
        MachineRecord m = get(kind, id);
        if (m.state() == MachineState.STARTED) {
            return new Started(m);
        }
        ProcessIdentity me = ProcessIdentity.current();
        MachineRecord claimed = transition(m, EnumSet.of(MachineState.CREATED, MachineState.STOPPED, MachineState.FAILED),
                MachineState.STARTING, r -> r.toBuilder().owner(me).lastError(null).build(), "start");
        if (claimed.engine().equals("host_compat")) {
            MachineRecord started = update(claimed, MachineState.STARTED, r -> r.toBuilder().owner(null).build());
            return new Started(started);
        }
        try {
            Path kernel = claimed.kernelPath().orElseThrow();
            Path image = claimed.imagePath().orElseThrow();
            for (Path needed : List.of(kernel, image, claimed.diskPath().orElseThrow())) {
                if (!Files.isRegularFile(needed)) {
                    throw new PyroException(PyroException.Kind.RUNTIME_NOT_READY, MachineIds.noun(kind) + " "
                            + claimed.id() + " needs " + needed + ", which is gone; delete it and create a new one");
                }
            }
            ResolvedRuntime forAccel = new ResolvedRuntime(claimed.environment(), kernel, kernel, image, "",
                    claimed.kernelSha256().orElse(""), "", claimed.imageSha256().orElse(""));
            VmLauncher.AccelChoice accel = launcher.chooseAccel(forAccel, progress);
            Optional<dev.pyro.internal.net.NetworkPlan> network = claimed.network()
                    .map(dev.pyro.internal.net.NetworkPlan::fromJson);
            if (network.isPresent()) {
                launcher.prepareNetwork(network.get().request(), progress);
            }
            PersistentEngine.Booted booted = launcher.bootPersistent(claimed.id(), claimed.runDir().orElseThrow(),
                    kernel, image, claimed.diskPath().orElseThrow(), claimed.vcpuCount(), claimed.memMib(),
                    Duration.ofSeconds(claimed.ttlSeconds()), accel, network, progress);
            PersistentVmRef ref = booted.ref();
            MachineRecord started;
            try {
                started = update(claimed, MachineState.STARTED, r -> r.toBuilder()
                        .owner(null)
                        .vmm(ref.process())
                        .engineRef(ref.toJson())
                        .accel(ref.accel())
                        .executionMode(ExecutionMode.GUEST_VIRTIO_SERIAL)
                        .build());
            } catch (RuntimeException e) {
                booted.connection().close();
                engine(progress).kill(ref);
                throw e;
            }
            connections.adopt(ref, booted.connection());
            return new Started(started);
        } catch (RuntimeException e) {
            String reason = e instanceof PyroException ? e.getMessage() : "start failed: " + e;
            engine(progress).lastSpawned(claimed.runDir().orElseThrow()).ifPresent(ref -> engine(progress).kill(ref));
            store.updateMachine(claimed.id(), EnumSet.of(MachineState.STARTING),
                    r -> r.toBuilder().state(MachineState.FAILED).owner(null).lastError(ErrorLines.oneLine(reason)).build());
            throw e;
        }
    }

    // ---------------------------------------------------------------- stop

    /** Shuts a started machine down cleanly (the guest syncs its disk). Stopping a stopped one is a no-op. */
    public MachineRecord stop(MachineKind kind, String id, ProgressListener progress) {
        MachineRecord m = get(kind, id);
        if (m.state() == MachineState.STOPPED || m.state() == MachineState.CREATED || m.state() == MachineState.FAILED) {
            return m;
        }
        connections.release(m.id());
        ProcessIdentity me = ProcessIdentity.current();
        MachineRecord claimed = transition(m, EnumSet.of(MachineState.STARTED), MachineState.STOPPING,
                r -> r.toBuilder().owner(me).build(), "stop");
        String note = null;
        if (!claimed.engine().equals("host_compat") && claimed.engineRef().isPresent()) {
            progress.onProgress(ProgressEvent.of("stop", "stopping " + MachineIds.noun(kind) + " " + claimed.id()));
            PersistentVmRef ref = PersistentVmRef.fromJson(claimed.engineRef().get());
            PersistentEngine.StopOutcome outcome = engine(progress).stop(ref, STOP_TIMEOUT);
            removeRuntimeFilesQuietly(ref, progress);
            if (outcome == PersistentEngine.StopOutcome.KILLED) {
                note = "the guest did not power off within " + STOP_TIMEOUT.toSeconds()
                        + " s and was killed: its last unsynced writes may be lost";
            }
        }
        String lastError = note;
        return update(claimed, MachineState.STOPPED, r -> r.toBuilder().owner(null).lastError(lastError).build());
    }

    // ---------------------------------------------------------------- delete

    /** Kills the machine if it runs and removes its disk, logs and record. */
    /** Deletes the machine {@code id} names (an id or a unique prefix); returns its full id. */
    public String delete(MachineKind kind, String id, ProgressListener progress) {
        MachineRecord m = get(kind, id);
        deleteRecord(m, progress);
        return m.id();
    }

    private void deleteRecord(MachineRecord m, ProgressListener progress) {
        ProcessIdentity me = ProcessIdentity.current();
        MachineRecord claimed = transition(m, EnumSet.of(MachineState.CREATED, MachineState.STARTED,
                MachineState.STOPPED, MachineState.FAILED), MachineState.DELETING,
                r -> r.toBuilder().owner(me).build(), "delete");
        try {
            finishDelete(claimed, progress);
        } catch (RuntimeException e) {
            // Hand the machine back: left "deleting" with a live owner (say, an MCP server), no
            // later delete could try again while that process lives.
            String reason = "the delete failed: " + (e instanceof PyroException ? e.getMessage() : e.toString())
                    + "; delete it again";
            settle(claimed, EnumSet.of(MachineState.DELETING), MachineState.FAILED, reason);
            throw e;
        }
    }

    private void finishDelete(MachineRecord m, ProgressListener progress) {
        connections.release(m.id());
        if (!m.engine().equals("host_compat")) {
            QemuEngine engine = engine(progress);
            Optional<PersistentVmRef> ref = m.engineRef().map(PersistentVmRef::fromJson);
            if (ref.isEmpty()) {
                ref = m.runDir().flatMap(engine::lastSpawned);
            }
            ref.ifPresent(r -> {
                engine.kill(r);
                removeRuntimeFilesQuietly(r, progress);
            });
            m.runDir().flatMap(engine::lastSpawned).filter(engine::isAlive).ifPresent(engine::kill);
        }
        m.runDir().ifPresent(Dirs::deleteQuietly);
        store.deleteMachine(m.id());
    }

    /** Removes what a half-created machine left (its record and directory). */
    void forget(MachineRecord m) {
        m.runDir().ifPresent(Dirs::deleteQuietly);
        store.deleteMachine(m.id());
    }

    // ---------------------------------------------------------------- reads

    /** The machine, reconciled with reality (see docs/state.md, "Crash recovery"). */
    public MachineRecord get(MachineKind kind, String id) {
        MachineRecord m = MachineIds.find(store.machines(Optional.of(kind)), kind, id);
        return reconcile(m).orElseThrow(() -> new PyroException(PyroException.Kind.NOT_FOUND,
                MachineIds.noun(kind) + " " + id + " was being deleted and is gone now"));
    }

    /** Every machine of the kind, reconciled, oldest first. */
    public List<MachineRecord> list(MachineKind kind) {
        List<MachineRecord> out = new ArrayList<>();
        for (MachineRecord m : store.machines(Optional.of(kind))) {
            reconcile(m).ifPresent(out::add);
        }
        out.sort(java.util.Comparator.comparing(MachineRecord::createdAt));
        return out;
    }

    /** Deletes every machine of the kind (both when empty) past its expiry; returns their ids. */
    public List<String> reapExpired(Optional<MachineKind> kind, ProgressListener progress) {
        List<String> reaped = new ArrayList<>();
        for (MachineRecord m : store.expiredMachines()) {
            if (kind.isPresent() && m.kind() != kind.get()) {
                continue;
            }
            Optional<MachineRecord> current = reconcile(m);
            if (current.isEmpty() || current.get().state().inTransition()) {
                continue; // gone meanwhile, or another process works on it right now
            }
            try {
                progress.onProgress(ProgressEvent.of("reap", "deleting expired " + MachineIds.noun(m.kind()) + " " + m.id()));
                deleteRecord(current.get(), progress);
                reaped.add(m.id());
            } catch (PyroException e) {
                // Someone else got to it first (a conflict): it is theirs to finish.
            }
        }
        return reaped;
    }

    private void reapExpiredQuietly(ProgressListener progress) {
        try {
            reapExpired(Optional.empty(), progress);
        } catch (RuntimeException e) {
            // Reaping before a create is housekeeping; it must not stop the create.
        }
    }

    /**
     * Applies the crash-recovery rules to a record as read; returns it as it is now, or empty
     * when an interrupted delete was finished.
     */
    Optional<MachineRecord> reconcile(MachineRecord m) {
        boolean qemu = !m.engine().equals("host_compat");
        Optional<PersistentVmRef> ref = m.engineRef().map(PersistentVmRef::fromJson);
        QemuEngine engine = qemu && (ref.isPresent() || m.state().inTransition()) ? engine(ProgressListener.NONE) : null;
        boolean vmmAlive = engine != null && ref.isPresent() && engine.isAlive(ref.get());
        Reconcile.Decision d = Reconcile.decide(m, ProcessIdentity::isAlive, vmmAlive);
        switch (d.action()) {
            case NONE:
                return Optional.of(m);
            case MARK_FAILED: {
                String why = ref.map(engine::describeExit).orElse(d.reason());
                ref.ifPresent(r -> removeRuntimeFilesQuietly(r, ProgressListener.NONE));
                return Optional.of(settle(m, EnumSet.of(MachineState.STARTED), MachineState.FAILED, why));
            }
            case KILL_AND_MARK_FAILED: {
                if (engine != null && m.runDir().isPresent()) {
                    engine.abandonBoot(m.id(), m.runDir().get(),
                            m.network().map(dev.pyro.internal.net.NetworkPlan::fromJson));
                }
                return Optional.of(settle(m, EnumSet.of(MachineState.STARTING), MachineState.FAILED, d.reason()));
            }
            case FINISH_STOP: {
                if (engine != null && ref.isPresent()) {
                    engine.stop(ref.get(), STOP_TIMEOUT);
                    removeRuntimeFilesQuietly(ref.get(), ProgressListener.NONE);
                }
                if (m.state() == MachineState.STOPPING) {
                    return Optional.of(settle(m, EnumSet.of(MachineState.STOPPING), MachineState.STOPPED, null));
                }
                return Optional.of(m);
            }
            case FINISH_DELETE:
                finishDelete(m, ProgressListener.NONE);
                return Optional.empty();
            default:
                throw new AssertionError(d.action());
        }
    }

    /** Records the outcome of a reconcile; if another process changed the record meanwhile, theirs wins. */
    private MachineRecord settle(MachineRecord m, Set<MachineState> from, MachineState to, String reason) {
        UpdateResult r = store.updateMachine(m.id(), from,
                x -> x.toBuilder().state(to).owner(null).lastError(reason == null ? null : ErrorLines.oneLine(reason)).build());
        if (r.updated()) {
            return r.get();
        }
        return r.record().orElse(m);
    }

    // ---------------------------------------------------------------- helpers

    /** Compare-and-set from one of {@code from} into {@code to}; a conflict says what the machine is doing. */
    private MachineRecord transition(MachineRecord m, Set<MachineState> from, MachineState to,
            java.util.function.UnaryOperator<MachineRecord> change, String action) {
        UpdateResult r = store.updateMachine(m.id(), from, x -> change.apply(x.toBuilder().state(to).build()));
        if (r.updated()) {
            return r.get();
        }
        if (r.status() == UpdateResult.Status.NOT_FOUND) {
            throw new PyroException(PyroException.Kind.NOT_FOUND, MachineIds.noun(m.kind()) + " " + m.id()
                    + " was deleted meanwhile");
        }
        MachineRecord now = r.record().orElseThrow();
        String by = now.owner().map(o -> " by pyro process " + o.pid()).orElse("");
        throw new PyroException(PyroException.Kind.INVALID_ARGUMENT, "cannot " + action + " "
                + MachineIds.noun(m.kind()) + " " + m.id() + ": it is " + now.state().wireName() + by
                + "; check with: pyro " + MachineIds.noun(m.kind()) + " status " + m.id());
    }

    private MachineRecord update(MachineRecord m, MachineState to, java.util.function.UnaryOperator<MachineRecord> change) {
        UpdateResult r = store.updateMachine(m.id(), EnumSet.of(m.state()),
                x -> change.apply(x.toBuilder().state(to).build()));
        if (!r.updated()) {
            throw new PyroException(PyroException.Kind.INTERNAL, MachineIds.noun(m.kind()) + " " + m.id()
                    + " changed while this process owned its " + m.state().wireName() + " (now "
                    + r.record().map(x -> x.state().wireName()).orElse("gone") + ")");
        }
        return r.get();
    }

    QemuEngine engine(ProgressListener progress) {
        return launcher.persistentEngine(progress);
    }

    private void removeRuntimeFilesQuietly(PersistentVmRef ref, ProgressListener progress) {
        try {
            QemuEngine engine = engine(progress);
            if (!engine.isAlive(ref)) {
                engine.removeRuntimeFiles(ref);
            }
        } catch (RuntimeException e) {
            // Leftover sockets are removed by the next boot; never fail a lifecycle step on them.
        }
    }

    private static int diskGib(java.util.Map<String, String> env) {
        String v = env.get("PYRO_DISK_GIB");
        if (v == null || v.isBlank()) {
            return DEFAULT_DISK_GIB;
        }
        try {
            int gib = Integer.parseInt(v.trim());
            if (gib < 1 || gib > 1024) {
                throw new NumberFormatException();
            }
            return gib;
        } catch (NumberFormatException e) {
            throw PyroException.invalidArgument("PYRO_DISK_GIB=" + v + " is not a size in GiB between 1 and 1024; fix or unset it");
        }
    }
}
