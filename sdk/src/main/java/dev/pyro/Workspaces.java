package dev.pyro;

import dev.pyro.internal.machine.MachineExec;
import dev.pyro.internal.machine.MachineManager;
import dev.pyro.internal.machine.PublicViews;
import dev.pyro.internal.machine.WorkspaceContent;
import dev.pyro.internal.state.MachineKind;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Persistent workspaces ({@code pyro workspace ...}): a VM that outlives the CLI, whose
 * {@code /workspace} starts empty or from a host directory or tar archive and which keeps
 * everything written in the guest across stop and start. Obtain through {@link Pyro#workspaces()}.
 */
public final class Workspaces {
    private final MachineManager machines;
    private final MachineExec exec;
    private final WorkspaceContent files;
    private final ProgressListener progress;

    Workspaces(MachineManager machines, MachineExec exec, WorkspaceContent files, ProgressListener progress) {
        this.machines = machines;
        this.exec = exec;
        this.files = files;
        this.progress = progress;
    }

    /**
     * Creates and starts a workspace; with a seed path, its content becomes /workspace before
     * this returns. A rejected seed leaves no workspace behind.
     *
     * @throws HostAccessDeniedException when the instance's {@link HostAccess} refuses the seed
     *     path or host-compat; nothing was created
     */
    public WorkspaceInfo create(MachineRequest request) {
        return files.createWorkspace(request, progress);
    }

    /** Runs a command in the started workspace (in /workspace unless the request says otherwise). */
    public CommandResult exec(String id, CommandRequest request, OutputListener output) {
        return exec.exec(MachineKind.WORKSPACE, id, request, output, progress);
    }

    /**
     * Imports a host directory or tar archive into the workspace at {@code destination} (under
     * /workspace). Atomic: on any failure the workspace is left exactly as it was.
     *
     * @throws HostAccessDeniedException when {@code source} is outside the instance's allowed roots
     */
    public TransferResult syncPush(String id, Path source, String destination) {
        return files.push(id, source, destination, progress);
    }

    /**
     * Copies a file or directory from the workspace to {@code output}, which must not exist yet:
     * nothing on the host is replaced or followed (the output appears complete, or not at all).
     *
     * @throws HostAccessDeniedException when {@code output} is outside the instance's allowed roots
     */
    public TransferResult export(String id, String path, Path output) {
        return files.export(id, path, output, progress);
    }

    public WorkspaceInfo status(String id) {
        return PublicViews.workspace(machines.store(), machines.get(MachineKind.WORKSPACE, id));
    }

    /** The command journal, oldest first. */
    public List<JournalEntry> logs(String id) {
        return exec.journal(MachineKind.WORKSPACE, id).stream().map(PublicViews::entry).toList();
    }

    public List<WorkspaceInfo> list() {
        return machines.list(MachineKind.WORKSPACE).stream()
                .map(m -> PublicViews.workspace(machines.store(), m)).toList();
    }

    /** Shuts the workspace down cleanly; everything written in it stays on its disk. */
    public WorkspaceInfo stop(String id) {
        return PublicViews.workspace(machines.store(), machines.stop(MachineKind.WORKSPACE, id, progress));
    }

    /** Boots a stopped (or failed) workspace from its disk. */
    public WorkspaceInfo start(String id) {
        try (MachineManager.Started s = machines.start(MachineKind.WORKSPACE, id, progress)) {
            return PublicViews.workspace(machines.store(), s.record());
        }
    }

    /** Deletes the workspace (stopping it first) with its disk and journal; returns its full id. */
    public String delete(String id) {
        return machines.delete(MachineKind.WORKSPACE, id, progress);
    }

    /** Deletes every workspace past its expiry; returns their ids. */
    public List<String> reapExpired() {
        return machines.reapExpired(Optional.of(MachineKind.WORKSPACE), progress);
    }
}
