package dev.pyro.bench;

import dev.pyro.CommandRequest;
import dev.pyro.CommandResult;
import dev.pyro.MachineRequest;
import dev.pyro.OutputListener;
import dev.pyro.Pyro;
import dev.pyro.WorkspaceInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Exec round trip of {@code true} on a running workspace, p50 and p95 over N calls, beside the
 * same command run by a host-compat workspace in the same run (interleaved), and the wall time
 * of a {@code pyro workspace exec} from the CLI (a new JVM per call) for scale.
 */
public final class ExecBench {
    private ExecBench() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        Path home = Files.createTempDirectory("pyro-execbench-");
        try (Pyro pyro = Pyro.builder().home(home).build()) {
            WorkspaceInfo guest = pyro.workspaces().create(MachineRequest.builder("debian:12-base").build());
            WorkspaceInfo host = pyro.workspaces().create(MachineRequest.builder("debian:12-base")
                    .allowHostCompat(true).engine("host_compat").build());
            System.out.printf("exec benchmark: %d calls of `true` per workspace (+20 warm-up), accel %s%n", calls,
                    guest.vm().accel().wireName());
            List<Double> inGuest = new ArrayList<>();
            List<Double> onHost = new ArrayList<>();
            for (int i = -20; i < calls; i++) {
                double g = time(pyro, guest.id());
                double h = time(pyro, host.id());
                if (i >= 0) {
                    inGuest.add(g);
                    onHost.add(h);
                }
            }
            List<Double> cli = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                ProcessBuilder pb = new ProcessBuilder(root.resolve("pyro").toString(), "workspace", "exec", guest.id(),
                        "--", "true").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
                pb.environment().put("PYRO_HOME", home.toString());
                long t = System.nanoTime();
                int code = pb.start().waitFor();
                if (code != 0) {
                    throw new IllegalStateException("pyro workspace exec exited " + code);
                }
                cli.add((System.nanoTime() - t) / 1e6);
            }
            System.out.printf("%-46s p50 %6.1f  p95 %6.1f  ms%n", "guest workspace (SDK, warm JVM)", pct(inGuest, 50),
                    pct(inGuest, 95));
            System.out.printf("%-46s p50 %6.1f  p95 %6.1f  ms%n", "host-compat workspace (SDK, warm JVM)", pct(onHost, 50),
                    pct(onHost, 95));
            System.out.printf("%-46s %.2f%n", "ratio guest / host-compat (p50)", pct(inGuest, 50) / pct(onHost, 50));
            System.out.printf("%-46s p50 %6.1f  p95 %6.1f  ms%n", "pyro workspace exec from the CLI (new JVM)",
                    pct(cli, 50), pct(cli, 95));
            pyro.workspaces().delete(guest.id());
            pyro.workspaces().delete(host.id());
        } finally {
            BootBench.deleteTree(home);
        }
    }

    private static double time(Pyro pyro, String id) {
        long t = System.nanoTime();
        CommandResult r = pyro.workspaces().exec(id, CommandRequest.of("true"), OutputListener.NONE);
        double ms = (System.nanoTime() - t) / 1e6;
        if (r.exitCode() != 0) {
            throw new IllegalStateException("true exited " + r.exitCode());
        }
        return ms;
    }

    static double pct(List<Double> values, int p) {
        List<Double> v = new ArrayList<>(values);
        Collections.sort(v);
        int i = (int) Math.ceil(p / 100.0 * v.size()) - 1;
        return v.get(Math.max(0, Math.min(v.size() - 1, i)));
    }
}
