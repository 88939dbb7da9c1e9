package dev.pyro.mcp;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which tools the server offers. Profiles keep the surface small for models: a profile is
 * just a set of tool names ({@link ToolNames}), and the server registers exactly those.
 */
public enum Profile {
    /** One-shot runs only. */
    VM_RUN("vm-run", List.of(ToolNames.VM_RUN)),
    /** The default: one-shot runs and the everyday workspace loop. */
    WORKSPACE_CORE("workspace-core", List.of(ToolNames.VM_RUN, ToolNames.WORKSPACE_CREATE, ToolNames.WORKSPACE_EXEC,
            ToolNames.WORKSPACE_SYNC_PUSH, ToolNames.WORKSPACE_EXPORT, ToolNames.WORKSPACE_STATUS,
            ToolNames.WORKSPACE_LOGS, ToolNames.WORKSPACE_DELETE)),
    /** Every tool, including VM lifecycle and environment listing. */
    WORKSPACE_FULL("workspace-full", ToolNames.ALL);

    public static final Profile DEFAULT = WORKSPACE_CORE;

    private final String wireName;
    private final Set<String> toolNames;

    Profile(String wireName, List<String> toolNames) {
        this.wireName = wireName;
        this.toolNames = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(toolNames));
    }

    /** The name used on the command line: {@code vm-run}, {@code workspace-core}, {@code workspace-full}. */
    public String wireName() {
        return wireName;
    }

    /** The tool names this profile allows, in tools/list order. */
    public Set<String> toolNames() {
        return toolNames;
    }

    public boolean allows(String toolName) {
        return toolNames.contains(toolName);
    }

    /**
     * Parses a profile name (case-insensitive; underscores accepted for hyphens).
     *
     * @throws IllegalArgumentException with a one-line message naming the valid profiles
     */
    public static Profile parse(String name) {
        String wanted = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (Profile p : values()) {
            if (p.wireName.equals(wanted)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown profile '" + name + "'; use one of: " + names());
    }

    /** The valid profile names, comma-separated. */
    public static String names() {
        return Arrays.stream(values()).map(Profile::wireName).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return wireName;
    }
}
