package dev.pyro.internal.archive;

import dev.pyro.ProgressListener;
import dev.pyro.PyroException;
import dev.pyro.internal.guest.GuestClient;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one archive through one target in a JVM of its own, started by {@link SizeBombTest} with
 * a small heap ({@code -Xmx128m}): a limit that is missing shows as an OutOfMemoryError here,
 * not as a slow test. Prints one line: {@code RESULT <outcome> <ms> <peak heap MiB> <message>},
 * outcome ACCEPTED, REJECTED (a PyroException: its kind in the message) or CRASHED.
 *
 * <p>Arguments: target ({@code validate}, {@code host-seed}, {@code host-sync}, {@code agent-seed},
 * {@code agent-sync}), archive, workspace directory, max entries, max bytes, agent binary (for
 * the agent targets). Seeds go as a workspace create does (the dry run first, then the import);
 * syncs as {@code sync push} does.
 */
public final class SizeBombMain {
    private SizeBombMain() {
    }

    public static void main(String[] args) throws Exception {
        String target = args[0];
        Path archive = Path.of(args[1]);
        Path ws = Path.of(args[2]);
        ImportCaps caps = new ImportCaps(Long.parseLong(args[3]), Long.parseLong(args[4]));
        Path agentBinary = args.length > 5 ? Path.of(args[5]) : null;
        Process agent = null;
        WorkspaceFiles files = null;
        if (target.startsWith("agent")) {
            agent = new ProcessBuilder(agentBinary.toString(), "--stdio", "--workspace", ws.toString())
                    .redirectError(ws.resolveSibling(ws.getFileName() + ".agent.log").toFile()).start();
            Process p = agent;
            GuestClient client = GuestClient.overStreams("pyro-agent --stdio", p.getInputStream(), p.getOutputStream(),
                    () -> p.destroy(), Duration.ofSeconds(10));
            client.hello(Duration.ofSeconds(10));
            files = new GuestFiles(client);
        } else if (target.startsWith("host")) {
            files = HostWorkspace.open(ws);
        }
        long start = System.nanoTime();
        String outcome;
        String message;
        try {
            TransferStats stats = switch (target) {
                case "validate" -> Transfers.validate(Transfers.inspectSeed(archive), null, caps);
                case "host-seed", "agent-seed" -> {
                    SourceSpec spec = Transfers.inspectSeed(archive);
                    Transfers.validate(spec, null, caps);
                    yield Transfers.seed(files, spec, caps, ProgressListener.NONE);
                }
                case "host-sync", "agent-sync" -> Transfers.push(files, archive, "/workspace/sub", caps,
                        ProgressListener.NONE);
                default -> throw new IllegalArgumentException(target);
            };
            outcome = "ACCEPTED";
            message = stats.entries() + " entries, " + stats.bytes() + " bytes";
        } catch (PyroException e) {
            outcome = "REJECTED";
            message = e.kind() + " " + e.getMessage();
        } catch (Throwable t) {
            outcome = "CRASHED";
            message = t.toString();
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        System.out.println("RESULT " + outcome + " " + ms + " " + peakHeapMiB() + " " + message.replace('\n', ' '));
        System.out.flush();
        if (agent != null) {
            agent.getOutputStream().close();
            if (!agent.waitFor(10, TimeUnit.SECONDS)) {
                agent.destroyForcibly();
            }
        }
        System.exit(0);
    }

    private static long peakHeapMiB() {
        long peak = 0;
        List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans();
        for (MemoryPoolMXBean pool : pools) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak >> 20;
    }
}
