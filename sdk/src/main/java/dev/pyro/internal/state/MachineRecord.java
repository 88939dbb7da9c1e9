package dev.pyro.internal.state;

import dev.pyro.Accel;
import dev.pyro.ExecutionMode;
import dev.pyro.internal.host.ProcessIdentity;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;

/**
 * One VM or workspace as the state store keeps it (table {@code machines}; docs/state.md).
 * Build one with {@link #builder} or change one with {@link #toBuilder()}.
 *
 * @param id short random id, unique among machines
 * @param kind VM or workspace
 * @param environment the environment it runs, e.g. {@code debian:12-base}
 * @param state lifecycle state
 * @param engine {@code qemu}, {@code firecracker} or {@code host_compat}
 * @param accel KVM or TCG (NONE for host-compat); empty until first chosen
 * @param executionMode how commands reach it; empty until it first started
 * @param vcpuCount vCPUs
 * @param memMib memory in MiB
 * @param ttlSeconds lifetime from creation; 0 means none
 * @param createdAt when it was created
 * @param expiresAt when it is reaped (created + ttl); empty: never
 * @param updatedAt last change of the record (set by the store)
 * @param vmm the VMM process (pid and start time) while it runs or ran last
 * @param runDir where its sockets and logs are ({@code PYRO_HOME/vms/<id>})
 * @param diskPath its writable disk
 * @param engineRef the engine's serialised reference to the running VM (JSON; e.g.
 *     {@code PersistentVmRef.toJson()}), present while it runs or ran last
 * @param kernelPath the kernel it was created with (a workspace keeps booting it)
 * @param kernelSha256 that kernel's sha256
 * @param imagePath the root image it was created with
 * @param imageSha256 that image's sha256
 * @param owner the process doing the transition in progress (STARTING, STOPPING, DELETING)
 * @param lastError why the last operation failed or the VM died; one line
 * @param allowHostCompat the caller allowed host-compat execution
 * @param workspaceDir host-compat only: the host directory that stands in for the guest
 * @param generation bumped by every update; the optimistic concurrency token of {@code compareAndSet}
 * @param network its network plan ({@code NetworkPlan} JSON), kept for its life so a restart
 *     gets the same addresses; empty: no network device
 */
public record MachineRecord(
        String id,
        MachineKind kind,
        String environment,
        MachineState state,
        String engine,
        Optional<Accel> accel,
        Optional<ExecutionMode> executionMode,
        int vcpuCount,
        int memMib,
        long ttlSeconds,
        Instant createdAt,
        Optional<Instant> expiresAt,
        Instant updatedAt,
        Optional<ProcessIdentity> vmm,
        Optional<Path> runDir,
        Optional<Path> diskPath,
        Optional<String> engineRef,
        Optional<Path> kernelPath,
        Optional<String> kernelSha256,
        Optional<Path> imagePath,
        Optional<String> imageSha256,
        Optional<ProcessIdentity> owner,
        Optional<String> lastError,
        boolean allowHostCompat,
        Optional<Path> workspaceDir,
        long generation,
        Optional<String> network) {

    public MachineRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(environment, "environment");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(accel, "accel");
        Objects.requireNonNull(executionMode, "executionMode");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
        Objects.requireNonNull(vmm, "vmm");
        Objects.requireNonNull(runDir, "runDir");
        Objects.requireNonNull(diskPath, "diskPath");
        Objects.requireNonNull(engineRef, "engineRef");
        Objects.requireNonNull(kernelPath, "kernelPath");
        Objects.requireNonNull(kernelSha256, "kernelSha256");
        Objects.requireNonNull(imagePath, "imagePath");
        Objects.requireNonNull(imageSha256, "imageSha256");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(lastError, "lastError");
        Objects.requireNonNull(workspaceDir, "workspaceDir");
        Objects.requireNonNull(network, "network");
        // The database keeps milliseconds; so does the record, so what is read equals what was written.
        createdAt = createdAt.truncatedTo(ChronoUnit.MILLIS);
        updatedAt = updatedAt.truncatedTo(ChronoUnit.MILLIS);
        expiresAt = expiresAt.map(e -> e.truncatedTo(ChronoUnit.MILLIS));
        if (vcpuCount < 1 || memMib < 1 || ttlSeconds < 0) {
            throw new IllegalArgumentException("vcpuCount and memMib must be >= 1 and ttlSeconds >= 0");
        }
    }

    /**
     * A new record in state CREATED, created now ({@code createdAt}); {@code expiresAt} is
     * created + ttl unless the ttl is 0.
     */
    public static Builder builder(String id, MachineKind kind, String environment, Instant createdAt) {
        return new Builder(id, kind, environment, createdAt);
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Same record in another state (other fields unchanged). */
    public MachineRecord withState(MachineState newState) {
        return toBuilder().state(newState).build();
    }

    /** True if it expired at {@code now}. */
    public boolean expiredAt(Instant now) {
        return expiresAt.map(e -> !e.isAfter(now)).orElse(false);
    }

    /** Builds and changes {@link MachineRecord}s. */
    public static final class Builder {
        private String id;
        private MachineKind kind;
        private String environment;
        private MachineState state = MachineState.CREATED;
        private String engine = "qemu";
        private Accel accel;
        private ExecutionMode executionMode;
        private int vcpuCount = 1;
        private int memMib = 1024;
        private long ttlSeconds;
        private Instant createdAt;
        private Instant expiresAt;
        private boolean expiresAtSet;
        private Instant updatedAt;
        private ProcessIdentity vmm;
        private Path runDir;
        private Path diskPath;
        private String engineRef;
        private Path kernelPath;
        private String kernelSha256;
        private Path imagePath;
        private String imageSha256;
        private ProcessIdentity owner;
        private String lastError;
        private boolean allowHostCompat;
        private Path workspaceDir;
        private long generation = 1;
        private String network;

        private Builder(String id, MachineKind kind, String environment, Instant createdAt) {
            this.id = id;
            this.kind = kind;
            this.environment = environment;
            this.createdAt = createdAt;
            this.updatedAt = createdAt;
        }

        private Builder(MachineRecord r) {
            id = r.id;
            kind = r.kind;
            environment = r.environment;
            state = r.state;
            engine = r.engine;
            accel = r.accel.orElse(null);
            executionMode = r.executionMode.orElse(null);
            vcpuCount = r.vcpuCount;
            memMib = r.memMib;
            ttlSeconds = r.ttlSeconds;
            createdAt = r.createdAt;
            expiresAt = r.expiresAt.orElse(null);
            expiresAtSet = true;
            updatedAt = r.updatedAt;
            vmm = r.vmm.orElse(null);
            runDir = r.runDir.orElse(null);
            diskPath = r.diskPath.orElse(null);
            engineRef = r.engineRef.orElse(null);
            kernelPath = r.kernelPath.orElse(null);
            kernelSha256 = r.kernelSha256.orElse(null);
            imagePath = r.imagePath.orElse(null);
            imageSha256 = r.imageSha256.orElse(null);
            owner = r.owner.orElse(null);
            lastError = r.lastError.orElse(null);
            allowHostCompat = r.allowHostCompat;
            workspaceDir = r.workspaceDir.orElse(null);
            generation = r.generation;
            network = r.network.orElse(null);
        }

        public Builder id(String v) {
            id = v;
            return this;
        }

        public Builder state(MachineState v) {
            state = v;
            return this;
        }

        public Builder engine(String v) {
            engine = v;
            return this;
        }

        public Builder accel(Accel v) {
            accel = v;
            return this;
        }

        public Builder executionMode(ExecutionMode v) {
            executionMode = v;
            return this;
        }

        public Builder vcpuCount(int v) {
            vcpuCount = v;
            return this;
        }

        public Builder memMib(int v) {
            memMib = v;
            return this;
        }

        /** Also sets expiresAt to created + ttl (none for 0) unless expiresAt is set explicitly. */
        public Builder ttlSeconds(long v) {
            ttlSeconds = v;
            return this;
        }

        /** Overrides created + ttl; null: never expires. */
        public Builder expiresAt(Instant v) {
            expiresAt = v;
            expiresAtSet = true;
            return this;
        }

        public Builder updatedAt(Instant v) {
            updatedAt = v;
            return this;
        }

        /** The VMM process; null when it has none. */
        public Builder vmm(ProcessIdentity v) {
            vmm = v;
            return this;
        }

        public Builder runDir(Path v) {
            runDir = v;
            return this;
        }

        public Builder diskPath(Path v) {
            diskPath = v;
            return this;
        }

        public Builder engineRef(String v) {
            engineRef = v;
            return this;
        }

        public Builder kernel(Path path, String sha256) {
            kernelPath = path;
            kernelSha256 = sha256;
            return this;
        }

        public Builder image(Path path, String sha256) {
            imagePath = path;
            imageSha256 = sha256;
            return this;
        }

        /** The process doing the transition in progress; null when none is. */
        public Builder owner(ProcessIdentity v) {
            owner = v;
            return this;
        }

        public Builder lastError(String v) {
            lastError = v;
            return this;
        }

        public Builder allowHostCompat(boolean v) {
            allowHostCompat = v;
            return this;
        }

        public Builder workspaceDir(Path v) {
            workspaceDir = v;
            return this;
        }

        public Builder network(String v) {
            network = v;
            return this;
        }

        Builder generation(long v) {
            generation = v;
            return this;
        }

        public MachineRecord build() {
            Instant expires = expiresAtSet ? expiresAt
                    : ttlSeconds > 0 ? createdAt.plusSeconds(ttlSeconds) : null;
            return new MachineRecord(id, kind, environment, state, engine, Optional.ofNullable(accel),
                    Optional.ofNullable(executionMode), vcpuCount, memMib, ttlSeconds, createdAt,
                    Optional.ofNullable(expires), updatedAt, Optional.ofNullable(vmm), Optional.ofNullable(runDir),
                    Optional.ofNullable(diskPath), Optional.ofNullable(engineRef), Optional.ofNullable(kernelPath),
                    Optional.ofNullable(kernelSha256), Optional.ofNullable(imagePath), Optional.ofNullable(imageSha256),
                    Optional.ofNullable(owner), Optional.ofNullable(lastError), allowHostCompat,
                    Optional.ofNullable(workspaceDir), generation, Optional.ofNullable(network));
        }
    }
}
