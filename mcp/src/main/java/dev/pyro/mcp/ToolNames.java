package dev.pyro.mcp;

import java.util.List;

/**
 * Every tool name of pyro's MCP contract (the reference product's names). A name listed here is
 * only served once a {@link PyroTool} implements it and {@link ToolCatalog} registers it.
 */
public final class ToolNames {
    public static final String VM_RUN = "vm_run";
    public static final String VM_LIST_ENVIRONMENTS = "vm_list_environments";
    public static final String VM_CREATE = "vm_create";
    public static final String VM_START = "vm_start";
    public static final String VM_EXEC = "vm_exec";
    public static final String VM_STOP = "vm_stop";
    public static final String VM_DELETE = "vm_delete";
    public static final String VM_STATUS = "vm_status";
    public static final String VM_LIST = "vm_list";
    public static final String VM_REAP_EXPIRED = "vm_reap_expired";
    public static final String VM_NETWORK_INFO = "vm_network_info";
    public static final String WORKSPACE_CREATE = "workspace_create";
    public static final String WORKSPACE_EXEC = "workspace_exec";
    public static final String WORKSPACE_SYNC_PUSH = "workspace_sync_push";
    public static final String WORKSPACE_EXPORT = "workspace_export";
    public static final String WORKSPACE_STATUS = "workspace_status";
    public static final String WORKSPACE_LOGS = "workspace_logs";
    public static final String WORKSPACE_LIST = "workspace_list";
    public static final String WORKSPACE_STOP = "workspace_stop";
    public static final String WORKSPACE_START = "workspace_start";
    public static final String WORKSPACE_DELETE = "workspace_delete";

    /** All names of the contract, in the order tools/list shows them. */
    public static final List<String> ALL = List.of(VM_RUN, VM_LIST_ENVIRONMENTS, VM_CREATE, VM_START, VM_EXEC,
            VM_STOP, VM_DELETE, VM_STATUS, VM_NETWORK_INFO, VM_LIST, VM_REAP_EXPIRED, WORKSPACE_CREATE, WORKSPACE_EXEC,
            WORKSPACE_SYNC_PUSH, WORKSPACE_EXPORT, WORKSPACE_STATUS, WORKSPACE_LOGS, WORKSPACE_LIST, WORKSPACE_STOP,
            WORKSPACE_START, WORKSPACE_DELETE);

    private ToolNames() {
    }
}
