package dev.pyro.internal.runtime;

import java.util.List;

/**
 * The guest agent's source files as shipped in the recipes ({@code agent/}), sorted by path.
 *
 * @param files every source file, by path relative to the agent directory
 */
public record AgentSources(List<SourceFile> files) {
    /**
     * One file: its relative path and content. Permissions are not kept: a jar has none, and
     * the identity must not depend on where the recipes were read from.
     */
    public record SourceFile(String path, byte[] content) {
    }

    public AgentSources {
        files = List.copyOf(files);
    }

    /** A hash over every path and content: the agent's source identity. */
    public String sha256() {
        StringBuilder listing = new StringBuilder();
        for (SourceFile file : files) {
            listing.append(Hashes.sha256(file.content())).append("  ").append(file.path()).append('\n');
        }
        return Hashes.sha256(listing.toString());
    }

    public boolean isEmpty() {
        return files.isEmpty();
    }
}
