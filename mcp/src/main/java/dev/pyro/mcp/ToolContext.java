package dev.pyro.mcp;

import dev.pyro.Pyro;

/**
 * What a tool call may use.
 *
 * @param pyro the SDK facade shared by every call of this server
 * @param network what a tool call may open on the network (the operator's choices)
 */
public record ToolContext(Pyro pyro, NetworkGate network) {
    /** A context whose tools may open no private range. */
    public ToolContext(Pyro pyro) {
        this(pyro, NetworkGate.closed());
    }
}
