package dev.pyro;

import java.util.Optional;

/**
 * A persistent workspace: a VM that outlives the CLI, whose {@code /workspace} and root
 * filesystem changes survive stop and start.
 *
 * @param vm its VM (id, state, engine, resources, times)
 * @param workspacePath where the files live in the guest ({@code /workspace})
 * @param seed how {@code /workspace} was initialised
 * @param commandCount commands run so far
 * @param lastCommand the latest command, if any
 */
public record WorkspaceInfo(VmInfo vm, String workspacePath, WorkspaceSeed seed, long commandCount,
        Optional<JournalEntry> lastCommand) {
    public static final String WORKSPACE_PATH = "/workspace";

    public String id() {
        return vm.id();
    }
}
