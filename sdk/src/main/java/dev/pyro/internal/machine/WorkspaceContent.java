package dev.pyro.internal.machine;

import dev.pyro.MachineRequest;
import dev.pyro.ProgressListener;
import dev.pyro.PyroException;
import dev.pyro.TransferResult;
import dev.pyro.WorkspaceInfo;
import dev.pyro.internal.access.HostPathDoor;
import dev.pyro.internal.engine.AgentConnection;
import dev.pyro.internal.archive.ImportCaps;
import dev.pyro.internal.archive.SourceSpec;
import dev.pyro.internal.archive.TransferStats;
import dev.pyro.internal.archive.Transfers;
import dev.pyro.internal.archive.WorkspaceFiles;
import dev.pyro.internal.engine.PersistentVmRef;
import dev.pyro.internal.state.MachineKind;
import dev.pyro.internal.state.MachineRecord;
import dev.pyro.internal.state.MachineState;
import dev.pyro.internal.state.SeedMode;
import dev.pyro.internal.state.SeedRecord;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * Workspace creation with its seed, and moving files in and out of a workspace (sync push,
 * export), for guest and host-compat workspaces alike.
 */
public final class WorkspaceContent {
    private final MachineManager machines;
    private final ImportCaps caps;
    private final HostPathDoor hostPaths;

    /** @param hostPaths the door every host path (seed, sync source, export output) passes first */
    public WorkspaceContent(MachineManager machines, ImportCaps caps, HostPathDoor hostPaths) {
        this.machines = machines;
        this.caps = caps;
        this.hostPaths = hostPaths;
    }

    /**
     * Creates and starts a workspace and imports its seed. A seed that is rejected (or fails)
     * leaves no workspace behind; a boot failure leaves the workspace FAILED with its console
     * log, so the user can read why.
     */
    public WorkspaceInfo createWorkspace(MachineRequest request, ProgressListener progress) {
        // A seed is checked completely before anything is created: a missing, unsupported,
        // truncated or hostile one costs no VM and leaves nothing behind.
        Optional<SourceSpec> seedSource = request.seedPath()
                .map(p -> Transfers.inspectSeed(hostPaths.readable(p, "seed path")));
        seedSource.ifPresent(spec -> Transfers.validate(spec, WorkspaceInfo.WORKSPACE_PATH, caps));
        MachineRecord created = machines.create(MachineKind.WORKSPACE, request, progress);
        MachineManager.Started started = machines.start(MachineKind.WORKSPACE, created.id(), progress);
        try (started) {
            MachineRecord m = started.record();
            SeedRecord seed = SeedRecord.empty(m.id(), WorkspaceInfo.WORKSPACE_PATH, Instant.now());
            if (seedSource.isPresent()) {
                TransferStats stats = Transfers.seed(files(m, progress), seedSource.get(), caps, progress);
                seed = new SeedRecord(m.id(), stats.artifactType() == TransferResult.ArtifactType.TAR_ARCHIVE
                        ? SeedMode.TAR_ARCHIVE : SeedMode.DIRECTORY, Optional.of(seedSource.get().path()),
                        stats.destination(), stats.entries(), stats.bytes(), Instant.now());
            }
            machines.store().putSeed(seed);
            return PublicViews.workspace(machines.store(), m);
        } catch (RuntimeException e) {
            // No workspace is left behind by a create whose seed was refused or could not be imported.
            try {
                machines.delete(MachineKind.WORKSPACE, created.id(), ProgressListener.NONE);
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Imports host content into a started workspace, atomically (a failure changes nothing). */
    public TransferResult push(String id, Path source, String destination, ProgressListener progress) {
        Path checked = hostPaths.readable(source, "sync source");
        MachineRecord m = started(id);
        return Transfers.push(files(m, progress), checked, destination, caps, progress).toResult(m.id());
    }

    /** Copies a file or directory out of a started workspace to a host path that must not exist. */
    public TransferResult export(String id, String path, Path output, ProgressListener progress) {
        Path checked = hostPaths.creatable(output, "output path");
        MachineRecord m = started(id);
        return Transfers.export(files(m, progress), path, checked, caps, progress).toResult(m.id());
    }

    /** The workspace's files: over this process's agent connection, or its host directory. */
    private WorkspaceFiles files(MachineRecord m, ProgressListener progress) {
        return m.engine().equals("host_compat") ? Transfers.host(m.workspaceDir().orElseThrow())
                : Transfers.guest(machines.connection(m, progress).guest());
    }

    private MachineRecord started(String id) {
        MachineRecord m = machines.get(MachineKind.WORKSPACE, id);
        if (m.state() != MachineState.STARTED) {
            throw new PyroException(PyroException.Kind.INVALID_ARGUMENT, "workspace " + m.id() + " is "
                    + m.state().wireName() + "; start it with: pyro workspace start " + m.id());
        }
        return m;
    }
}
