package dev.pyro.mcp.bench;

import dev.pyro.CommandRequest;
import dev.pyro.CommandResult;
import dev.pyro.MachineRequest;
import dev.pyro.OutputListener;
import dev.pyro.Pyro;
import dev.pyro.RunRequest;
import dev.pyro.RunResult;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The overhead of a {@code pyro mcp serve} tool call over the direct SDK call, measured in one
 * run with the operations interleaved call by call so that all see the same machine. Two
 * clients talk to two servers launched through the real launcher over stdio: a raw JSON-RPC
 * client (what the server and the pipe cost) and the MCP Java SDK's client (what a typical
 * SDK-based client sees on top). A harness, not a test: run it with bench/mcp-overhead.
 *
 * <ul>
 *   <li>{@code ping}: the protocol round trip alone.</li>
 *   <li>{@code vm_list_environments} vs {@code environments()} + {@code runtimeStatus(false)}: no VM.</li>
 *   <li>{@code vm_run true} vs {@code Pyro.run(sh -lc true)}: a VM boots per call, so the same small
 *       overhead now sits inside the boot's own variance.</li>
 * </ul>
 * <ul>
 *   <li>{@code workspace_exec} of {@code ["true"]} vs {@code workspaces().exec(id, true)} on one
 *       running workspace: the overhead on the everyday call, where it weighs most; and the string
 *       form {@code "true"}, which runs {@code sh -lc true} on both sides.</li>
 * </ul>
 */
public final class McpOverheadBench {
    public static void main(String[] argv) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        Map<String, String> args = parse(argv);
        Path launcher = Path.of(args.getOrDefault("launcher", "pyro")).toAbsolutePath();
        int cheapCalls = Integer.parseInt(args.getOrDefault("cheap-calls", "200"));
        int vmRuns = Integer.parseInt(args.getOrDefault("vm-runs", "30"));
        Path home = args.containsKey("home") ? Path.of(args.get("home")) : Files.createTempDirectory("pyro-bench");
        Map<String, String> env = Map.of("PYRO_HOME", home.toString());

        Map<String, String> sdkEnv = new HashMap<>(System.getenv());
        sdkEnv.putAll(env);
        StdioClientTransport transport = new StdioClientTransport(ServerParameters.builder(launcher.toString())
                .args("mcp", "serve", "--profile", "workspace-full").env(sdkEnv).build(), McpJsonDefaults.getMapper());
        transport.setStdErrorHandler(line -> { });
        try (Pyro pyro = Pyro.builder().home(home).build();
                RawStdioClient raw = RawStdioClient.launch(launcher, env);
                McpSyncClient sdk = McpClient.sync(transport).requestTimeout(Duration.ofMinutes(10)).build()) {
            sdk.initialize();
            sdk.listTools(); // as clients do; the SDK client then validates results against output schemas
            System.out.printf(Locale.ROOT, "Linux %s, %d cores, Java %s, load average at start %s%n%n",
                    System.getProperty("os.version"), Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.version"), loadAverage());
            System.out.println("| operation | calls | direct SDK p50 / p90 | raw JSON-RPC client p50 / p90 | overhead p50"
                    + " | MCP Java SDK client p50 / p90 | overhead p50 |");
            System.out.println("|---|---|---|---|---|---|---|");

            compare("ping (protocol only)", cheapCalls, 200, () -> null,
                    () -> raw.request("ping", null), sdk::ping);

            McpSchema.CallToolRequest list = new McpSchema.CallToolRequest("vm_list_environments", Map.of());
            compare("vm_list_environments (no VM)", cheapCalls, 200,
                    () -> {
                        pyro.environments();
                        return pyro.runtimeStatus(false);
                    },
                    () -> raw.callTool("vm_list_environments", Map.of()),
                    () -> check(sdk.callTool(list)));

            Map<String, Object> runArgs = Map.of("environment", "debian:12-base", "command", "true");
            RunRequest direct = RunRequest.builder("debian:12-base", "sh", "-lc", "true").build();
            compare("vm_run true (boots a VM per call)", vmRuns, 2,
                    () -> {
                        RunResult r = pyro.run(direct);
                        if (r.exitCode() != 0) {
                            throw new IllegalStateException("direct run failed: " + r.stderrText());
                        }
                        return r;
                    },
                    () -> raw.callTool("vm_run", runArgs),
                    null);

            String workspace = pyro.workspaces().create(MachineRequest.builder("debian:12-base").build()).id();
            try {
                // argv ["true"]: the cheapest command, so the overhead is the largest share of the call.
                execRow("workspace_exec [\"true\"] (running workspace)", cheapCalls, pyro, raw, sdk, workspace,
                        List.of("true"), List.of("true"));
                // The string form runs `sh -lc true`: a login shell, as models usually send commands.
                execRow("workspace_exec \"true\" (sh -lc, running workspace)", cheapCalls, pyro, raw, sdk, workspace,
                        "true", List.of("sh", "-lc", "true"));
            } finally {
                pyro.workspaces().delete(workspace);
            }
            System.out.printf(Locale.ROOT, "%nTimes in ms. Load average at the end %s.%n", loadAverage());
        }
    }

    private static void execRow(String name, int n, Pyro pyro, RawStdioClient raw, McpSyncClient sdk, String workspace,
            Object toolCommand, List<String> sdkCommand) {
        CommandRequest direct = CommandRequest.of(sdkCommand);
        Map<String, Object> args = Map.of("workspace_id", workspace, "command", toolCommand);
        McpSchema.CallToolRequest call = new McpSchema.CallToolRequest("workspace_exec", args);
        compare(name, n, 20,
                () -> {
                    CommandResult r = pyro.workspaces().exec(workspace, direct, OutputListener.NONE);
                    if (r.exitCode() != 0) {
                        throw new IllegalStateException("direct exec failed: " + r.stderrText());
                    }
                    return r;
                },
                () -> raw.callTool("workspace_exec", args),
                () -> check(sdk.callTool(call)));
    }

    private static Object check(McpSchema.CallToolResult r) {
        if (Boolean.TRUE.equals(r.isError())) {
            throw new IllegalStateException("tool error: " + r.structuredContent());
        }
        return r;
    }

    /** Interleaves the operations after a warm-up and prints one table row; {@code sdk} may be null. */
    private static void compare(String name, int n, int warmup, Supplier<Object> direct, Supplier<Object> raw,
            Supplier<Object> sdk) {
        for (int i = 0; i < warmup; i++) {
            direct.get();
            raw.get();
            if (sdk != null) {
                sdk.get();
            }
        }
        long[] d = new long[n];
        long[] r = new long[n];
        long[] s = new long[n];
        for (int i = 0; i < n; i++) {
            // Alternate the order, so that neither side always runs right after the other (warm caches).
            if (i % 2 == 0) {
                d[i] = time(direct);
                r[i] = time(raw);
            } else {
                r[i] = time(raw);
                d[i] = time(direct);
            }
            s[i] = sdk == null ? 0 : time(sdk);
        }
        String sdkCells = sdk == null ? "(not run) | " : String.format(Locale.ROOT, "%.2f / %.2f | %+.2f",
                pct(s, 50), pct(s, 90), pct(s, 50) - pct(d, 50));
        System.out.printf(Locale.ROOT, "| %s | %d | %.2f / %.2f | %.2f / %.2f | %+.2f | %s |%n", name, n,
                pct(d, 50), pct(d, 90), pct(r, 50), pct(r, 90), pct(r, 50) - pct(d, 50), sdkCells);
        System.out.flush();
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    private static long time(Supplier<Object> op) {
        long t = System.nanoTime();
        op.get();
        return System.nanoTime() - t;
    }

    private static double pct(long[] nanos, int p) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        int i = (int) Math.ceil(p / 100.0 * s.length) - 1;
        return s[Math.max(0, i)] / 1e6;
    }

    private static Map<String, String> parse(String[] argv) {
        Map<String, String> m = new HashMap<>();
        List<String> rest = new ArrayList<>(List.of(argv));
        for (int i = 0; i + 1 < rest.size(); i += 2) {
            m.put(rest.get(i).replaceFirst("^--", ""), rest.get(i + 1));
        }
        return m;
    }

    private McpOverheadBench() {
    }
}
