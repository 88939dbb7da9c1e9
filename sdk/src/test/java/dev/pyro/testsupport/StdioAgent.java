package dev.pyro.testsupport;

import dev.pyro.internal.guest.GuestClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real guest agent in test mode, {@code pyro-agent --stdio --workspace DIR}: DIR is what the
 * protocol calls /workspace, imports stage in the sibling {@code DIR.pyro-sync}. Built from
 * source by {@link AgentBinary}. Close it to stop the agent.
 */
public final class StdioAgent implements AutoCloseable {
    private final Process process;
    private final GuestClient client;
    private final Path log;

    private StdioAgent(Process process, GuestClient client, Path log) {
        this.process = process;
        this.client = client;
        this.log = log;
    }

    /** Starts an agent serving {@code workspace} (created if missing); its stderr goes to {@code log}. */
    public static StdioAgent start(Path workspace, Path log) throws IOException {
        return start(workspace, log, Map.of());
    }

    /** As {@link #start(Path, Path)}, with extra environment (e.g. the agent's test hooks). */
    public static StdioAgent start(Path workspace, Path log, Map<String, String> env) throws IOException {
        Files.createDirectories(workspace);
        List<String> command = new ArrayList<>(List.of(AgentBinary.get().toString(), "--stdio", "--workspace",
                workspace.toString()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        GuestClient client = GuestClient.overStreams("pyro-agent --stdio", p.getInputStream(), p.getOutputStream(),
                () -> {
                    p.destroy();
                    if (!p.waitFor(5, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                }, Duration.ofSeconds(10));
        client.hello(Duration.ofSeconds(10));
        return new StdioAgent(p, client, log);
    }

    public GuestClient client() {
        return client;
    }

    public Process process() {
        return process;
    }

    /** The agent's stderr so far. */
    public String log() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() {
        client.close();
        try {
            process.destroyForcibly().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
