package dev.pyro.bench;

import dev.pyro.CommandRequest;
import dev.pyro.CommandResult;
import dev.pyro.MachineRequest;
import dev.pyro.NetworkRequest;
import dev.pyro.OutputListener;
import dev.pyro.Pyro;
import dev.pyro.WorkspaceInfo;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Guest-to-host TCP throughput and connection latency per network back end, beside the same
 * client run on the host against the host's loopback in the same run. The client is bash with
 * /dev/tcp everywhere (no tool differences): {@code head -c SIZE /dev/zero > /dev/tcp/H/P} for
 * throughput, timed by the server from accept to EOF; a loop of connect + read one byte + close
 * for latency, timed by the client. Run by {@code bench/run network} inside a network namespace
 * it creates, so the tap back end never touches the host's own network.
 */
public final class NetworkBench {
    private static final int MIB = 1 << 20;

    private NetworkBench() {
    }

    public static void main(String[] args) throws Exception {
        int sizeMib = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int connects = args.length > 2 ? Integer.parseInt(args[2]) : 50;
        int reps = 3;
        Path home = Files.createTempDirectory("pyro-netbench-");
        try (ServerSocket sink = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                ServerSocket hello = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                Pyro pyro = Pyro.builder().home(home).build()) {
            ConcurrentLinkedQueue<double[]> received = new ConcurrentLinkedQueue<>();
            daemon(() -> sink(sink, received));
            daemon(() -> hello(hello));
            String throughputCmd = "head -c " + sizeMib + "M /dev/zero > /dev/tcp/%s/" + sink.getLocalPort();
            String latencyCmd = "s=$(date +%%s%%N); for i in $(seq " + connects + "); do exec 3<>/dev/tcp/%s/"
                    + hello.getLocalPort() + "; read -r -n 1 -u 3 x; exec 3<&-; done; echo $(( ($(date +%%s%%N) - s) / "
                    + connects + " ))";
            System.out.printf("network benchmark: %d MiB guest-to-host per transfer (median of %d), %d connects%n",
                    sizeMib, reps, connects);

            Result host = measure(reps, received, sizeMib, () -> bash(String.format(throughputCmd, "127.0.0.1")),
                    () -> bash(String.format(latencyCmd, "127.0.0.1")));
            System.out.printf("%-34s %8.1f MB/s   connect+1 byte %8.3f ms%n", "host -> host loopback (bash)",
                    host.mbps, host.latencyMs);
            for (String backend : List.of("user", "tap")) {
                WorkspaceInfo ws;
                try {
                    ws = pyro.workspaces().create(MachineRequest.builder("debian:12-base").memMib(512)
                            .network(NetworkRequest.egress().withBackend(backend)
                                    .withAllowHostPorts(List.of(sink.getLocalPort(), hello.getLocalPort()))).build());
                } catch (RuntimeException e) {
                    System.out.printf("%-34s skipped: %s%n", "guest -> host, " + backend, e.getMessage());
                    continue;
                }
                try {
                    String id = ws.id();
                    Result g = measure(reps, received, sizeMib,
                            () -> guest(pyro, id, String.format(throughputCmd, "host.pyro.internal")),
                            () -> guest(pyro, id, String.format(latencyCmd, "host.pyro.internal")));
                    System.out.printf("%-34s %8.1f MB/s   connect+1 byte %8.3f ms   (%s)%n",
                            "guest -> host, " + backend + " back end", g.mbps, g.latencyMs,
                            ws.vm().accel().wireName());
                    System.out.printf("%-34s throughput %.2f   latency %.1fx%n", "  ratio to host loopback",
                            g.mbps / host.mbps, g.latencyMs / host.latencyMs);
                } finally {
                    pyro.workspaces().delete(ws.id());
                }
            }
        }
    }

    record Result(double mbps, double latencyMs) {
    }

    interface Run {
        String run() throws Exception;
    }

    private static Result measure(int reps, ConcurrentLinkedQueue<double[]> received, int sizeMib, Run throughput,
            Run latency) throws Exception {
        List<Double> mbps = new ArrayList<>();
        List<Double> lat = new ArrayList<>();
        for (int i = 0; i < reps; i++) {
            received.clear();
            throughput.run();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (received.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            double[] r = received.poll();
            if (r == null || r[0] != (double) sizeMib * MIB) {
                throw new IllegalStateException("the sink got " + (r == null ? "nothing" : (long) r[0] + " bytes"));
            }
            mbps.add(r[0] / 1e6 / r[1]);
            lat.add(Long.parseLong(latency.run().strip()) / 1e6);
        }
        return new Result(median(mbps), median(lat));
    }

    private static String bash(String script) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("host bash failed: " + out);
        }
        return out;
    }

    private static String guest(Pyro pyro, String id, String script) {
        CommandResult r = pyro.workspaces().exec(id, CommandRequest.of("bash", "-c", script).withTimeoutSeconds(600),
                OutputListener.NONE);
        if (r.exitCode() != 0) {
            throw new IllegalStateException("guest bash failed: " + r.stderrText());
        }
        return r.stdoutText();
    }

    /** Counts each connection's bytes from accept to EOF: {bytes, seconds}. */
    private static void sink(ServerSocket server, ConcurrentLinkedQueue<double[]> received) {
        byte[] buf = new byte[MIB];
        while (true) {
            try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                long t = System.nanoTime();
                long n = 0;
                int r;
                while ((r = in.read(buf)) > 0) {
                    n += r;
                }
                received.add(new double[] {n, (System.nanoTime() - t) / 1e9});
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void hello(ServerSocket server) {
        while (true) {
            try (Socket s = server.accept()) {
                s.getOutputStream().write('x');
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void daemon(Runnable r) {
        Thread t = new Thread(r);
        t.setDaemon(true);
        t.start();
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }
}
