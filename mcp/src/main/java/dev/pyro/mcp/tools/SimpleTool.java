package dev.pyro.mcp.tools;

import dev.pyro.Pyro;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolContext;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * A tool that takes at most one id argument and makes one SDK call (status, start, stop,
 * delete, logs, list, reap). {@link LifecycleTools} defines them; the other tools, whose
 * arguments need more than reading an id, are classes of their own.
 */
final class SimpleTool extends SdkTool {
    private final String idArgument;
    private final BiFunction<Pyro, String, Map<String, Object>> call;

    /**
     * @param idArgument {@code vm_id} or {@code workspace_id}, or null for a tool without arguments
     * @param call the SDK call, given the facade and the id (null without an id argument)
     */
    SimpleTool(String name, String title, String description, String idArgument, Map<String, Object> input,
            Map<String, Object> output, Hints hints, BiFunction<Pyro, String, Map<String, Object>> call) {
        super(name, title, description, input, output, hints);
        this.idArgument = idArgument;
        this.call = call;
    }

    @Override
    public Map<String, Object> call(Arguments args, ToolContext context) {
        String id = idArgument == null ? null : args.requiredString(idArgument, "a1b2c3d4");
        return call.apply(context.pyro(), id);
    }
}
