package dev.pyro.internal.machine;

import dev.pyro.Accel;
import dev.pyro.ExecutionMode;
import dev.pyro.JournalEntry;
import dev.pyro.MachineState;
import dev.pyro.VmInfo;
import dev.pyro.WorkspaceInfo;
import dev.pyro.WorkspaceSeed;
import dev.pyro.internal.state.MachineRecord;
import dev.pyro.internal.state.SeedRecord;
import dev.pyro.internal.state.StateStore;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Maps state-store records onto the public SDK records. */
public final class PublicViews {
    private PublicViews() {
    }

    public static VmInfo vm(MachineRecord m) {
        boolean running = m.state() == dev.pyro.internal.state.MachineState.STARTED
                || m.state() == dev.pyro.internal.state.MachineState.STOPPING;
        return new VmInfo(m.id(), m.environment(), state(m.state()), m.engine(),
                m.accel().orElse(m.engine().equals("host_compat") ? Accel.NONE : Accel.TCG),
                m.executionMode().orElse(m.engine().equals("host_compat") ? ExecutionMode.HOST_COMPAT
                        : ExecutionMode.GUEST_VIRTIO_SERIAL),
                running ? m.vmm().map(v -> v.pid()) : Optional.empty(),
                m.vcpuCount(), m.memMib(), (int) m.ttlSeconds(), m.createdAt(),
                m.expiresAt().orElse(Instant.MAX), m.lastError(), network(m));
    }

    /** The machine's network as recorded ({@link dev.pyro.NetworkInfo#OFF} without one). */
    public static dev.pyro.NetworkInfo network(MachineRecord m) {
        return m.network().map(json -> {
            try {
                return dev.pyro.internal.net.NetworkPlan.fromJson(json).info();
            } catch (IllegalArgumentException e) {
                return dev.pyro.NetworkInfo.OFF;
            }
        }).orElse(dev.pyro.NetworkInfo.OFF);
    }

    /** A workspace with its seed and journal summary, read from the store. */
    public static WorkspaceInfo workspace(StateStore store, MachineRecord m) {
        List<dev.pyro.internal.state.JournalEntry> journal = store.commands(m.id(), 0, Integer.MAX_VALUE);
        return workspace(m, store.seed(m.id()), journal.size(),
                journal.isEmpty() ? Optional.empty() : Optional.of(journal.get(journal.size() - 1)));
    }

    static WorkspaceInfo workspace(MachineRecord m, Optional<SeedRecord> seed, long commandCount,
            Optional<dev.pyro.internal.state.JournalEntry> last) {
        return new WorkspaceInfo(vm(m), WorkspaceInfo.WORKSPACE_PATH, seed.map(PublicViews::seed)
                .orElse(WorkspaceSeed.empty()), commandCount, last.map(PublicViews::entry));
    }

    static WorkspaceSeed seed(SeedRecord s) {
        WorkspaceSeed.Mode mode = switch (s.mode()) {
            case EMPTY -> WorkspaceSeed.Mode.EMPTY;
            case DIRECTORY -> WorkspaceSeed.Mode.DIRECTORY;
            case TAR_ARCHIVE -> WorkspaceSeed.Mode.TAR_ARCHIVE;
        };
        return new WorkspaceSeed(mode, s.sourcePath().map(Object::toString), s.destination(), s.entryCount(),
                s.bytesWritten());
    }

    public static JournalEntry entry(dev.pyro.internal.state.JournalEntry e) {
        String stderr = e.stderrTail();
        if (e.error().isPresent()) {
            stderr = stderr.isEmpty() ? "pyro: " + e.error().get() : stderr + "\npyro: " + e.error().get();
        }
        return new JournalEntry(e.sequence(), List.copyOf(e.command()), e.cwd(),
                e.exitCode().isPresent() ? Optional.of(e.exitCode().getAsInt()) : Optional.empty(), e.timedOut(),
                e.durationMillis().orElse(0), e.startedAt(), e.endedAt(), e.stdoutTail(), stderr);
    }

    static MachineState state(dev.pyro.internal.state.MachineState s) {
        return switch (s) {
            case CREATED -> MachineState.CREATED;
            case STARTING -> MachineState.STARTING;
            case STARTED -> MachineState.STARTED;
            case STOPPING -> MachineState.STOPPING;
            case STOPPED -> MachineState.STOPPED;
            case FAILED -> MachineState.FAILED;
            case DELETING -> MachineState.DELETING;
        };
    }
}
