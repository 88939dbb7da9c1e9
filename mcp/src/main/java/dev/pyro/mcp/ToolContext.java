package dev.pyro.mcp;

import dev.pyro.Pyro;

/**
 * What a tool call may use.
 *
 * @param pyro the SDK facade shared by every call of this server
 */
public record ToolContext(Pyro pyro) {
}
