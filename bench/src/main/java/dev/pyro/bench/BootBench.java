package dev.pyro.bench;

import dev.pyro.Accel;
import dev.pyro.Pyro;
import dev.pyro.RunRequest;
import dev.pyro.RunResult;
import dev.pyro.internal.engine.VmSpec;
import dev.pyro.internal.engine.qemu.QemuBinary;
import dev.pyro.internal.engine.qemu.QemuCommandLine;
import dev.pyro.internal.engine.qemu.VmFiles;
import dev.pyro.internal.runtime.ResolvedRuntime;
import dev.pyro.internal.runtime.RuntimeBuilder;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code pyro run debian:12-base -- true}, cold (a new VM each time), against the bare engine
 * floor measured in the same run: the same QEMU command line, kernel and root image as pyro's
 * engine builds for {@code pyro run}'s defaults, booting to a trivial init ({@code /bin/true})
 * whose exit ends the VM. Variants are interleaved so that machine noise hits them alike.
 *
 * <ul>
 *   <li>floor: QEMU start to QEMU exit;
 *   <li>cli: {@code ./pyro run --json ...} as a user runs it: a new JVM each time (launcher included);
 *   <li>sdk: {@link Pyro#run} in a warm JVM: the VM is still cold, the JVM start is not counted.
 * </ul>
 * QEMU's peak RSS (VmHWM) is sampled in separate, untimed runs, so sampling does not slow the timed ones.
 */
public final class BootBench {
    private static final String ENV = "debian:12-base";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private BootBench() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        ResolvedRuntime runtime = RuntimeBuilder.fromEnvironment().resolve(ENV, e -> { });
        QemuBinary qemu = QemuBinary.locate();
        Path work = Files.createTempDirectory("pyro-bootbench-");
        Path home = Files.createDirectories(work.resolve("home"));
        System.out.printf("pyro boot benchmark: %d runs per variant (+1 warm-up), %s, %d CPUs, %s%n", runs,
                qemu.versionLine(), Runtime.getRuntime().availableProcessors(), runtime.kernelRelease());
        try (Pyro pyro = Pyro.builder().home(home).build()) {
            RunResult warm = pyro.run(request());
            Accel accel = warm.accel();
            System.out.println("accel: " + accel.wireName() + warm.note().map(n -> " (" + n + ")").orElse(""));
            cli(root, home);
            floor(qemu, runtime, accel, work, 0, null);

            List<Double> floor = new ArrayList<>();
            List<Double> cli = new ArrayList<>();
            List<Double> sdk = new ArrayList<>();
            List<Double> boot = new ArrayList<>();
            List<Double> exec = new ArrayList<>();
            List<Double> teardown = new ArrayList<>();
            List<Double> sdkOverhead = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                floor.add(floor(qemu, runtime, accel, work, i + 1, null));
                CliRun c = cli(root, home);
                cli.add(c.wallMs());
                long t = System.nanoTime();
                RunResult r = pyro.run(request());
                double wall = (System.nanoTime() - t) / 1e6;
                sdk.add(wall);
                boot.add((double) r.timings().bootMs());
                exec.add((double) r.timings().execMs());
                teardown.add((double) r.timings().teardownMs());
                sdkOverhead.add(wall - r.timings().bootMs() - r.timings().execMs() - r.timings().teardownMs());
            }

            List<Double> floorRss = new ArrayList<>();
            List<Double> runRss = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                RssSampler s = new RssSampler();
                floor(qemu, runtime, accel, work, 100 + i, s);
                floorRss.add(s.peakMib());
                runRss.add(sampledRun(pyro, home));
            }

            double f = median(floor);
            System.out.println();
            System.out.printf("%-44s %s%n", "floor: QEMU to trivial init and exit (ms)", stats(floor));
            System.out.printf("%-44s %s   ratio %.2f%n", "cli: ./pyro run --json (new JVM) (ms)", stats(cli), median(cli) / f);
            System.out.printf("%-44s %s   ratio %.2f%n", "sdk: Pyro.run in a warm JVM (ms)", stats(sdk), median(sdk) / f);
            System.out.printf("%-44s boot %.0f / exec %.0f / teardown %.0f / rest %.0f%n",
                    "sdk breakdown, medians (ms)", median(boot), median(exec), median(teardown), median(sdkOverhead));
            System.out.printf("%-44s %.0f%n", "cli minus sdk: JVM start + CLI (ms)", median(cli) - median(sdk));
            System.out.printf("%-44s floor %.0f / pyro run %.0f%n", "QEMU peak RSS, VmHWM median (MiB)",
                    median(floorRss), median(runRss));
        } finally {
            deleteTree(work);
        }
    }

    private static RunRequest request() {
        return RunRequest.builder(ENV, "true").build();
    }

    record CliRun(double wallMs, JsonNode json) {
    }

    private static CliRun cli(Path root, Path home) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(root.resolve("pyro").toString(), "run", "--json", ENV, "--", "true")
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("PYRO_HOME", home.toString());
        long t = System.nanoTime();
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        int code = p.waitFor();
        double ms = (System.nanoTime() - t) / 1e6;
        if (code != 0) {
            throw new IOException("pyro run failed with exit code " + code + ": " + new String(out, StandardCharsets.UTF_8));
        }
        return new CliRun(ms, JSON.readTree(out));
    }

    /** One floor boot: pyro's own QEMU command line for this run, with init=/bin/true. */
    private static double floor(QemuBinary qemu, ResolvedRuntime runtime, Accel accel, Path work, int n,
            RssSampler rss) throws Exception {
        String id = "floor" + n;
        VmSpec spec = new VmSpec(id, work.resolve(id), runtime.vmlinux(), runtime.rootImage(), Optional.empty(),
                RunRequest.DEFAULT_VCPU_COUNT, RunRequest.DEFAULT_MEM_MIB, accel, true,
                Duration.ofSeconds(RunRequest.DEFAULT_TTL_SECONDS), Duration.ofMinutes(2));
        VmFiles files = VmFiles.create(spec.runDir(), id);
        QemuCommandLine.Tuning defaults = QemuCommandLine.Tuning.defaults();
        // The kernel takes the last init= it is given.
        QemuCommandLine.Tuning trivialInit = new QemuCommandLine.Tuning(defaults.quiet(), defaults.cpuModelTcg(),
                defaults.tcgTranslationCacheMib(), List.of("init=/bin/true"));
        List<String> command = QemuCommandLine.build(qemu, spec, files, trivialInit);
        long t = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(spec.runDir().resolve("qemu.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (rss != null) {
            rss.watch(p.pid());
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new IOException("the floor boot did not end; see " + spec.runDir());
        }
        double ms = (System.nanoTime() - t) / 1e6;
        files.removeSockets();
        return ms;
    }

    /** A pyro run whose QEMU's peak RSS is sampled (found through its run directory under home). */
    private static double sampledRun(Pyro pyro, Path home) throws Exception {
        RssSampler s = new RssSampler();
        Thread finder = new Thread(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                Optional<Long> pid = qemuUnder(home);
                if (pid.isPresent()) {
                    s.watch(pid.get());
                    return;
                }
                sleep(2);
            }
        });
        finder.start();
        pyro.run(RunRequest.builder(ENV, "sleep", "0.3").build());
        finder.join();
        return s.peakMib();
    }

    /**
     * The QEMU this JVM started for the run: a descendant of this process (one-shot runs keep
     * their sockets in a short runtime directory, not under {@code home}, so the command line
     * cannot be matched on it).
     */
    private static Optional<Long> qemuUnder(Path home) {
        return ProcessHandle.current().descendants()
                .filter(h -> h.info().command().map(c -> c.contains("qemu-system")).orElse(false))
                .map(ProcessHandle::pid)
                .findFirst();
    }

    /** Polls a process's VmHWM until it exits; remembers the last value read. */
    static final class RssSampler {
        private volatile long peakKib;
        private Thread thread;

        void watch(long pid) {
            LongSupplier read = () -> {
                try {
                    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                        if (line.startsWith("VmHWM:")) {
                            return Long.parseLong(line.replaceAll("[^0-9]", ""));
                        }
                    }
                } catch (IOException | RuntimeException gone) {
                    return -1;
                }
                return -1;
            };
            thread = new Thread(() -> {
                while (true) {
                    long v = read.getAsLong();
                    if (v < 0) {
                        return;
                    }
                    peakKib = Math.max(peakKib, v);
                    sleep(5);
                }
            });
            thread.start();
        }

        double peakMib() throws InterruptedException {
            if (thread != null) {
                thread.join();
            }
            return peakKib / 1024.0;
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static double median(List<Double> values) {
        List<Double> v = new ArrayList<>(values);
        Collections.sort(v);
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    static String stats(List<Double> values) {
        List<Double> v = new ArrayList<>(values);
        Collections.sort(v);
        return String.format("median %6.0f  min %6.0f  max %6.0f", median(v), v.get(0), v.get(v.size() - 1));
    }

    static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
