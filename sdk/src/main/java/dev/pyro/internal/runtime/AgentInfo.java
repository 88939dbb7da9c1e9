package dev.pyro.internal.runtime;

import java.util.List;

/**
 * {@code agent.json}: what an installed guest agent binary was built from.
 *
 * @param schema format version of this file
 * @param key the content key (directory name)
 * @param keyInputs the inputs the key was computed from
 * @param sourceSha256 hash over the agent's source files ({@link AgentSources#sha256()})
 * @param compiler first line of {@code gcc --version}
 * @param files the binary, {@code pyro-agent}
 * @param elf what the ELF check found, e.g. {@code x86-64 static-pie}
 * @param builtAt ISO-8601 time the build finished
 * @param buildSeconds wall time of the build
 */
public record AgentInfo(
        int schema,
        String key,
        String keyInputs,
        String sourceSha256,
        String compiler,
        List<InstalledFile> files,
        String elf,
        String builtAt,
        long buildSeconds) implements ComponentInfo {
    static final String FILE = "agent.json";
    static final String BINARY = "pyro-agent";

    /** SHA-256 of the binary. */
    public String binarySha256() {
        return file(BINARY).sha256();
    }
}
