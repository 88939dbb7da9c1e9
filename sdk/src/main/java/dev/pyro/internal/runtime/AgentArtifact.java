package dev.pyro.internal.runtime;

import java.nio.file.Path;

/**
 * An installed guest agent binary.
 *
 * @param dir its directory, {@code <runtime>/agent/<key>}
 * @param info its {@code agent.json}
 */
public record AgentArtifact(Path dir, AgentInfo info) {
    /** The static binary that becomes /usr/sbin/pyro-agent in every image. */
    public Path binary() {
        return dir.resolve(AgentInfo.BINARY);
    }
}
