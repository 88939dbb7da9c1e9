package dev.pyro.bench;

import dev.pyro.Accel;
import dev.pyro.OutputListener;
import dev.pyro.ProgressListener;
import dev.pyro.internal.archive.ImportCaps;
import dev.pyro.internal.archive.TransferStats;
import dev.pyro.internal.archive.Transfers;
import dev.pyro.internal.archive.WorkspaceFiles;
import dev.pyro.internal.engine.VmSpec;
import dev.pyro.internal.engine.qemu.QemuBinary;
import dev.pyro.internal.engine.qemu.QemuEngine;
import dev.pyro.internal.engine.qemu.QemuVm;
import dev.pyro.internal.guest.ExecRequest;
import dev.pyro.internal.guest.ExecResult;
import dev.pyro.internal.runtime.ResolvedRuntime;
import dev.pyro.internal.runtime.RuntimeBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Seeding a workspace with a 100 MB tree (4 files of 20 MB and 2,000 files of 10 KB in 40
 * directories), in MB/s, beside the raw channel throughput measured in the same VM: 100 MB of
 * stdin into {@code cat > /dev/null}. Each run boots a fresh VM with a new writable disk
 * (/workspace on ext4), then measures, in order: the raw channel, the directory seed, an
 * export of the tree back to the host, and a sync of the same tree as a .tar. MB = 10^6 bytes.
 */
public final class TransferBench {
    private static final String ENV = "debian:12-base";
    private static final long RAW_BYTES = 100_000_000L;

    private TransferBench() {
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        ResolvedRuntime runtime = RuntimeBuilder.fromEnvironment().resolve(ENV, e -> { });
        QemuBinary qemu = QemuBinary.locate();
        QemuEngine engine = new QemuEngine(qemu);
        Path work = Files.createTempDirectory("pyro-transferbench-");
        try {
            Path tree = work.resolve("tree");
            long treeBytes = makeTree(tree);
            Path tar = work.resolve("tree.tar");
            run(List.of("tar", "-C", tree.toString(), "-cf", tar.toString(), "."));
            System.out.printf("pyro transfer benchmark: %d runs, %s, %d CPUs, %s, TCG%n", runs, qemu.versionLine(),
                    Runtime.getRuntime().availableProcessors(), runtime.kernelRelease());
            System.out.printf("tree: %d bytes in %d files (4 x 20 MB + 2000 x 10 KB)%n", treeBytes, 2004);
            List<Double> raw = new ArrayList<>();
            List<Double> seed = new ArrayList<>();
            List<Double> export = new ArrayList<>();
            List<Double> sync = new ArrayList<>();
            List<Double> viaTar = new ArrayList<>();
            for (int i = 1; i <= runs; i++) {
                Path disk = work.resolve("disk-" + i + ".ext4");
                run(List.of("mke2fs", "-q", "-F", "-t", "ext4", disk.toString(), "2G"));
                VmSpec spec = new VmSpec("tb" + i, work.resolve("vm" + i), runtime.bzImage(), runtime.rootImage(),
                        Optional.of(disk), 1, 512, Accel.TCG, true, Duration.ofMinutes(30), Duration.ofSeconds(90));
                QemuVm vm = engine.boot(spec, ProgressListener.NONE);
                try {
                    double r = rawChannel(vm);
                    WorkspaceFiles files = Transfers.guest(vm.guest());
                    TransferStats s = Transfers.seed(files, tree, ImportCaps.defaults(), ProgressListener.NONE);
                    check(s.bytes() == treeBytes, "seed wrote " + s.bytes() + " bytes");
                    TransferStats e = Transfers.export(files, "/workspace", work.resolve("out-" + i),
                            ImportCaps.defaults(), ProgressListener.NONE);
                    check(e.bytes() == treeBytes, "export wrote " + e.bytes() + " bytes");
                    TransferStats t = Transfers.push(files, tar, "/workspace/from-tar", ImportCaps.defaults(),
                            ProgressListener.NONE);
                    check(t.bytes() == treeBytes, "sync wrote " + t.bytes() + " bytes");
                    oneFileImport(vm);
                    double x = tarOverStdin(vm, tar, treeBytes);
                    viaTar.add(x);
                    raw.add(r);
                    seed.add(s.megabytesPerSecond());
                    export.add(e.megabytesPerSecond());
                    sync.add(t.megabytesPerSecond());
                    System.out.printf("run %d: raw channel %.1f MB/s, seed %.1f MB/s (%d ms, %d entries), export %.1f "
                            + "MB/s, sync of the .tar %.1f MB/s%n", i, r, s.megabytesPerSecond(),
                            s.elapsed().toMillis(), s.entries(), e.megabytesPerSecond(), t.megabytesPerSecond());
                } finally {
                    vm.shutdown(Duration.ofSeconds(30));
                    vm.close();
                    Files.deleteIfExists(disk);
                }
            }
            System.out.printf("%-40s %s%n", "raw channel: 100 MB stdin to cat (MB/s)", stats(raw));
            System.out.printf("%-40s %s   ratio to raw %.2f%n", "seed of the 100 MB tree (MB/s)", stats(seed),
                    median(seed) / median(raw));
            System.out.printf("%-40s %s%n", "export of the tree (MB/s)", stats(export));
            System.out.printf("%-40s %s%n", "sync of the tree as .tar (MB/s)", stats(sync));
            System.out.printf("%-40s %s%n", "reference: tar -x over stdin + sync (MB/s)", stats(viaTar));
        } finally {
            run(List.of("rm", "-rf", work.toString()));
        }
    }

    /** 100 MB of stdin into {@code cat > /dev/null}: EXEC to EXIT. */
    static double rawChannel(QemuVm vm) throws Exception {
        InputStream zeros = new InputStream() {
            long left = RAW_BYTES;
            final byte[] chunk = new byte[64 * 1024];

            @Override
            public int read() {
                return left-- > 0 ? 0 : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left <= 0) {
                    return -1;
                }
                int n = (int) Math.min(Math.min(len, chunk.length), left);
                System.arraycopy(chunk, 0, b, off, n);
                left -= n;
                return n;
            }
        };
        long t = System.nanoTime();
        ExecResult r = vm.guest().exec(ExecRequest.of("sh", "-c", "cat > /dev/null").withTimeout(
                Duration.ofMinutes(5)), zeros, OutputListener.NONE);
        double s = (System.nanoTime() - t) / 1e9;
        check(r.exitCode() == 0, "cat exited " + r.exitCode());
        return RAW_BYTES / 1e6 / s;
    }

    /**
     * The naive way for comparison: the .tar piped into {@code tar -x} in the guest over a
     * command's stdin, then {@code sync} (pyro's import flushes too); no rules, not atomic.
     */
    static double tarOverStdin(QemuVm vm, Path tar, long treeBytes) throws Exception {
        long t = System.nanoTime();
        try (InputStream in = Files.newInputStream(tar)) {
            ExecResult r = vm.guest().exec(ExecRequest.of("sh", "-c",
                    "mkdir -p /workspace/viatar && tar -x -C /workspace/viatar -f - && sync").withTimeout(
                    Duration.ofMinutes(5)), in, OutputListener.NONE);
            check(r.exitCode() == 0, "tar -x exited " + r.exitCode());
        }
        double mbs = treeBytes / 1e6 / ((System.nanoTime() - t) / 1e9);
        System.out.printf("reference: tar -x over stdin + sync: %.1f MB/s%n", mbs);
        return mbs;
    }

    /** One 100 MB file through GuestImport directly: the streaming and the apply (flush, rename) apart. */
    static void oneFileImport(QemuVm vm) {
        byte[] chunk = new byte[1 << 20];
        new Random(2).nextBytes(chunk);
        long t0 = System.nanoTime();
        try (dev.pyro.internal.guest.GuestImport imp = vm.guest().startImport("/workspace/one", 0, 0)) {
            imp.entry(dev.pyro.internal.guest.Frame.KIND_FILE, "big".getBytes(), 0644, 0, RAW_BYTES, new byte[0]);
            for (long left = RAW_BYTES; left > 0; left -= chunk.length) {
                imp.data(chunk, 0, (int) Math.min(chunk.length, left));
            }
            long t1 = System.nanoTime();
            imp.finish(Duration.ofMinutes(5));
            long t2 = System.nanoTime();
            System.out.printf("one 100 MB file: streamed in %d ms, applied (syncfs, rename) in %d ms: %.1f MB/s%n",
                    (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, RAW_BYTES / 1e6 / ((t2 - t0) / 1e9));
        }
    }

    static long makeTree(Path tree) throws IOException {
        Random r = new Random(1);
        byte[] big = new byte[20_000_000];
        byte[] small = new byte[10_000];
        for (int i = 0; i < 4; i++) {
            r.nextBytes(big);
            Path d = Files.createDirectories(tree.resolve("big"));
            Files.write(d.resolve("blob" + i + ".bin"), big);
        }
        for (int i = 0; i < 2000; i++) {
            r.nextBytes(small);
            Path d = Files.createDirectories(tree.resolve("src/dir" + (i % 40)));
            Files.write(d.resolve("file" + i + ".txt"), small);
        }
        long[] total = {0};
        Files.walkFileTree(tree, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                total[0] += attrs.size();
                return FileVisitResult.CONTINUE;
            }
        });
        return total[0];
    }

    static void run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what);
        }
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static String stats(List<Double> xs) {
        return String.format("median %.1f (min %.1f, max %.1f)", median(xs), Collections.min(xs), Collections.max(xs));
    }
}
