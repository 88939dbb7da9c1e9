package dev.pyro.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProfileTest {
    @Test
    void vmRunIsOneShotOnly() {
        assertThat(Profile.VM_RUN.toolNames()).containsExactly("vm_run");
    }

    @Test
    void workspaceCoreIsRunCreateExecSyncExportStatusLogsDelete() {
        assertThat(Profile.WORKSPACE_CORE.toolNames()).containsExactly("vm_run", "workspace_create", "workspace_exec",
                "workspace_sync_push", "workspace_export", "workspace_status", "workspace_logs", "workspace_delete");
    }

    @Test
    void workspaceFullIsTheWholeContract() {
        assertThat(Profile.WORKSPACE_FULL.toolNames()).containsExactlyElementsOf(ToolNames.ALL);
        assertThat(ToolNames.ALL).hasSize(21).doesNotHaveDuplicates();
    }

    @Test
    void profilesNest() {
        assertThat(Profile.WORKSPACE_CORE.toolNames()).containsAll(Profile.VM_RUN.toolNames());
        assertThat(Profile.WORKSPACE_FULL.toolNames()).containsAll(Profile.WORKSPACE_CORE.toolNames());
        assertThat(ToolNames.ALL).containsAll(Profile.WORKSPACE_CORE.toolNames());
    }

    @Test
    void defaultIsWorkspaceCore() {
        assertThat(Profile.DEFAULT).isEqualTo(Profile.WORKSPACE_CORE);
    }

    @Test
    void parsesWireNamesLeniently() {
        assertThat(Profile.parse("vm-run")).isEqualTo(Profile.VM_RUN);
        assertThat(Profile.parse(" Workspace_Full ")).isEqualTo(Profile.WORKSPACE_FULL);
        assertThat(List.of(Profile.values())).extracting(Profile::wireName)
                .containsExactly("vm-run", "workspace-core", "workspace-full");
    }

    @Test
    void unknownProfileNamesTheValidOnes() {
        assertThatThrownBy(() -> Profile.parse("everything"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown profile 'everything'; use one of: vm-run, workspace-core, workspace-full");
    }
}
