package dev.pyro.bench;

import dev.pyro.Accel;
import dev.pyro.OutputListener;
import dev.pyro.internal.engine.VmSpec;
import dev.pyro.internal.engine.qemu.QemuBinary;
import dev.pyro.internal.engine.qemu.QemuCommandLine;
import dev.pyro.internal.engine.qemu.QemuEngine;
import dev.pyro.internal.engine.qemu.QemuVm;
import dev.pyro.internal.guest.ExecRequest;
import dev.pyro.internal.guest.GuestClient;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures the QEMU engine on this machine: boot to HELLO_OK, exec round trip, bulk transfer,
 * teardown, QEMU's peak RSS, against the bare floor (same QEMU, kernel and image, init=/bin/true)
 * in the same run, and command-line variants. Not a test; run by hand:
 *
 * <pre>
 * java -cp sdk/target/classes:sdk/target/test-classes:$(deps) dev.pyro.bench.EngineBench \
 *     KERNEL ROOT_IMAGE [VMLINUX] [RUNS]
 * </pre>
 */
public final class EngineBench {
    private EngineBench() {
    }

    public static void main(String[] args) throws Exception {
        Path kernel = Path.of(args[0]);
        Path root = Path.of(args[1]);
        Optional<Path> vmlinux = args.length > 2 && !args[2].equals("-") ? Optional.of(Path.of(args[2])) : Optional.empty();
        int runs = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        QemuBinary qemu = QemuBinary.locate();
        Path work = Files.createTempDirectory("pyro-bench-");
        System.out.println("qemu " + qemu.version() + ", kernel " + kernel + ", " + runs + " runs per variant, "
                + Runtime.getRuntime().availableProcessors() + " CPUs");
        try {
            QemuCommandLine.Tuning defaults = QemuCommandLine.Tuning.defaults();
            System.out.printf("%-40s %s%n", "bare floor (init=/bin/true, to QEMU exit)",
                    stats(floor(qemu, kernel, root, work, runs, defaults)));
            bootVariant("default (quiet, " + QemuCommandLine.Tuning.TCG_CPU + ", bzImage)", qemu, kernel, root, work,
                    runs, defaults);
            bootVariant("not quiet", qemu, kernel, root, work, runs,
                    new QemuCommandLine.Tuning(false, QemuCommandLine.Tuning.TCG_CPU, 0, List.of()));
            bootVariant("-cpu max (with erms, fsrm)", qemu, kernel, root, work, runs,
                    new QemuCommandLine.Tuning(true, "max", 0, List.of()));
            bootVariant("-cpu qemu64", qemu, kernel, root, work, runs,
                    new QemuCommandLine.Tuning(true, "qemu64", 0, List.of()));
            if (vmlinux.isPresent()) {
                bootVariant("vmlinux (PVH entry)", qemu, vmlinux.get(), root, work, runs, defaults);
            }
            channel(qemu, kernel, root, work, defaults, "default");
            channel(qemu, kernel, root, work, new QemuCommandLine.Tuning(true, "max", 0, List.of()), "-cpu max");
        } finally {
            deleteTree(work);
        }
    }

    static VmSpec spec(String id, Path work, Path kernel, Path root) {
        return new VmSpec(id, work.resolve(id), kernel, root, Optional.empty(), 1, 512, Accel.TCG, true,
                Duration.ofMinutes(10), Duration.ofSeconds(120));
    }

    static int counter;

    static void bootVariant(String label, QemuBinary qemu, Path kernel, Path root, Path work, int runs,
            QemuCommandLine.Tuning tuning) throws Exception {
        QemuEngine engine = new QemuEngine(qemu, tuning, GuestClient.DEFAULT_EXEC_GRACE);
        List<Double> boot = new ArrayList<>();
        List<Double> teardown = new ArrayList<>();
        List<Double> rss = new ArrayList<>();
        for (int i = -1; i < runs; i++) { // one warm-up
            long t0 = System.nanoTime();
            QemuVm vm = engine.boot(spec("b" + counter++, work, kernel, root), e -> { });
            double ms = (System.nanoTime() - t0) / 1e6;
            vm.guest().exec(ExecRequest.of("true"), OutputListener.NONE);
            double hwm = vmHwmMib(vm.pid());
            long t1 = System.nanoTime();
            vm.shutdown(Duration.ofSeconds(30));
            double down = (System.nanoTime() - t1) / 1e6;
            if (i >= 0) {
                boot.add(ms);
                teardown.add(down);
                rss.add(hwm);
            }
        }
        System.out.printf("%-40s boot to HELLO_OK %s | shutdown %s | QEMU VmHWM MiB %s%n", label, stats(boot),
                stats(teardown), stats(rss));
    }

    static void channel(QemuBinary qemu, Path kernel, Path root, Path work, QemuCommandLine.Tuning tuning,
            String label) throws Exception {
        System.out.println("-- channel, " + label);
        QemuEngine engine = new QemuEngine(qemu, tuning, GuestClient.DEFAULT_EXEC_GRACE);
        try (QemuVm vm = engine.boot(spec("ch", work, kernel, root), e -> { })) {
            GuestClient g = vm.guest();
            for (int i = 0; i < 20; i++) {
                g.exec(ExecRequest.of("true"), OutputListener.NONE);
            }
            List<Double> rtt = new ArrayList<>();
            List<Double> guest = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                long t = System.nanoTime();
                var r = g.exec(ExecRequest.of("true"), OutputListener.NONE);
                rtt.add((System.nanoTime() - t) / 1e6);
                guest.add(r.guestDuration().toNanos() / 1e6);
            }
            List<Double> ping = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                ping.add(g.ping(Duration.ofSeconds(5)).toNanos() / 1e6);
            }
            System.out.printf("exec `true` round trip ms (200)           %s%n", stats(rtt));
            System.out.printf("  of which guest-measured run ms          %s%n", stats(guest));
            System.out.printf("ping round trip ms (200)                  %s%n", stats(ping));
            for (int i = 0; i < 3; i++) {
                AtomicLong n = new AtomicLong();
                OutputListener count = new OutputListener() {
                    @Override
                    public void onStdout(byte[] d, int o, int l) {
                        n.addAndGet(l);
                    }

                    @Override
                    public void onStderr(byte[] d, int o, int l) {
                    }
                };
                long t = System.nanoTime();
                g.exec(ExecRequest.of("head", "-c", "104857600", "/dev/zero"), count);
                double s = (System.nanoTime() - t) / 1e9;
                byte[] in = new byte[100 * 1024 * 1024];
                long t2 = System.nanoTime();
                var r = g.exec(ExecRequest.of("sh", "-c", "cat > /dev/null"), new ByteArrayInputStream(in),
                        OutputListener.NONE);
                double s2 = (System.nanoTime() - t2) / 1e9;
                System.out.printf("guest->host 100 MiB: %.2f s = %.0f MiB/s (%d bytes); host->guest 100 MiB: %.2f s = %.0f MiB/s (exit %d)%n",
                        s, 100 / s, n.get(), s2, 100 / s2, r.exitCode());
            }
            System.out.printf("QEMU VmHWM after the channel tests: %.0f MiB%n", vmHwmMib(vm.pid()));
        }
    }

    static List<Double> floor(QemuBinary qemu, Path kernel, Path root, Path work, int runs,
            QemuCommandLine.Tuning tuning) throws Exception {
        List<Double> out = new ArrayList<>();
        for (int i = -1; i < runs; i++) {
            Path dir = work.resolve("floor" + i);
            Files.createDirectories(dir);
            List<String> cmd = new ArrayList<>(List.of(qemu.path().toString(), "-M", "microvm,acpi=off", "-nodefaults",
                    "-no-user-config", "-nographic", "-no-reboot", "-accel", "tcg", "-cpu", "max", "-m", "512", "-smp",
                    "1", "-kernel", kernel.toString(), "-append",
                    "console=ttyS0 reboot=t panic=-1 root=/dev/vda ro rootfstype=ext4 quiet init=/bin/true",
                    "-drive", "file=" + root + ",format=raw,if=none,id=root,readonly=on", "-device",
                    "virtio-blk-device,drive=root", "-serial", "file:" + dir.resolve("console.log")));
            long t = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("qemu.log").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IOException("floor boot did not end");
            }
            if (i >= 0) {
                out.add((System.nanoTime() - t) / 1e6);
            }
        }
        return out;
    }

    static double vmHwmMib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        }
        return -1;
    }

    static String stats(List<Double> values) {
        List<Double> v = new ArrayList<>(values);
        Collections.sort(v);
        return String.format("median %.1f p95 %.1f min %.1f max %.1f", pct(v, 50), pct(v, 95), v.get(0),
                v.get(v.size() - 1));
    }

    static double pct(List<Double> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
