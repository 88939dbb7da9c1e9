package dev.pyro.internal.engine.qemu;

import dev.pyro.Accel;
import dev.pyro.PyroException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds out whether KVM really works here. {@code /dev/kvm} existing is not enough: nested
 * virtualisation can accept {@code KVM_CREATE_VM} and still fail to run a guest (QEMU:
 * "failed to set MSR 0x10a"; or the kernel crawls and dies with "KVM internal error ...
 * emulation failure"). So the probe boots the given kernel under {@code -accel kvm -cpu host}
 * with no root disk and a deadline: a kernel that gets as far as trying to mount its root (or
 * to run init) has executed its whole early boot on the virtual CPU. The verdict depends only
 * on {@link Inputs}, so callers may cache it keyed by them.
 */
public final class KvmProbe {
    public static final Path DEV_KVM = Path.of("/dev/kvm");
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);

    /** Console lines only a kernel that ran its early boot on a working CPU prints. */
    private static final Pattern REACHED_INIT = Pattern.compile(
            "VFS: Unable to mount root fs|VFS: Cannot open root device|Run \\S+ as init process|No working init found");
    private static final Pattern KVM_FAILURE = Pattern.compile(
            "KVM internal error.*|failed to set MSR.*|Could not access KVM kernel module.*|kvm_init_vcpu.*|"
                    + "emulation failure.*|KVM_[A-Z_]+ failed.*", Pattern.CASE_INSENSITIVE);

    private KvmProbe() {
    }

    /**
     * What the verdict depends on; a cached {@link Result} is valid while these are equal.
     *
     * @param qemu the QEMU binary
     * @param qemuVersion its version
     * @param kernel the guest kernel booted by the probe
     * @param kernelSize its size
     * @param kernelModifiedMillis its modification time
     * @param hostKernel the host's kernel release ({@code /proc/sys/kernel/osrelease})
     */
    public record Inputs(Path qemu, String qemuVersion, Path kernel, long kernelSize, long kernelModifiedMillis,
            String hostKernel) {
        public static Inputs of(QemuBinary qemu, Path kernel) {
            long size = -1;
            long modified = -1;
            try {
                BasicFileAttributes a = Files.readAttributes(kernel, BasicFileAttributes.class);
                size = a.size();
                modified = a.lastModifiedTime().toMillis();
            } catch (IOException e) {
                // the probe reports the missing kernel
            }
            String host;
            try {
                host = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
            } catch (IOException e) {
                host = "unknown";
            }
            return new Inputs(qemu.path(), qemu.version(), kernel.toAbsolutePath(), size, modified, host);
        }
    }

    /**
     * The verdict.
     *
     * @param inputs what it depends on
     * @param devicePresent /dev/kvm exists
     * @param deviceOpens /dev/kvm opened read-write
     * @param usable a KVM guest booted far enough within the deadline
     * @param reason one line: why not, or what showed it works
     * @param took how long the probe took
     */
    public record Result(Inputs inputs, boolean devicePresent, boolean deviceOpens, boolean usable, String reason,
            Duration took) {
    }

    /**
     * Which accelerator a VM gets, and why.
     *
     * @param accel KVM or TCG
     * @param reason one line for the user, e.g. why KVM was not used
     */
    public record AccelChoice(Accel accel, String reason) {
    }

    /**
     * Chooses the accelerator: {@code requested} TCG is TCG; KVM must be usable or this throws
     * {@code HOST_SETUP}; {@code null} (auto) is KVM when usable, else TCG with the reason.
     */
    public static AccelChoice choose(Accel requested, Result probe) {
        if (requested == Accel.TCG) {
            return new AccelChoice(Accel.TCG, "software emulation (tcg) as requested");
        }
        if (requested == Accel.NONE) {
            throw PyroException.invalidArgument("a VM needs kvm or tcg; 'none' is host-compat execution");
        }
        if (probe.usable()) {
            return new AccelChoice(Accel.KVM, "KVM works (" + probe.reason() + ")");
        }
        if (requested == Accel.KVM) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "KVM was requested but does not work here: "
                    + probe.reason() + "; use --accel tcg (software emulation) or auto");
        }
        return new AccelChoice(Accel.TCG, "KVM not usable (" + probe.reason() + "); using software emulation (tcg), "
                + "which is several times slower");
    }

    /** Probes with {@link #DEFAULT_DEADLINE}. */
    public static Result probe(QemuBinary qemu, Path kernel) {
        return probe(qemu, kernel, DEFAULT_DEADLINE);
    }

    /** Runs the probe with {@code -cpu host}, what the engine uses under KVM. */
    public static Result probe(QemuBinary qemu, Path kernel, Duration deadline) {
        return probe(qemu, kernel, deadline, "host");
    }

    /**
     * Runs the probe with the given CPU model; takes at most about {@code deadline} (plus
     * QEMU's teardown).
     */
    public static Result probe(QemuBinary qemu, Path kernel, Duration deadline, String cpuModel) {
        long start = System.nanoTime();
        Inputs inputs = Inputs.of(qemu, kernel);
        if (!Files.exists(DEV_KVM)) {
            return result(inputs, false, false, false, "/dev/kvm does not exist (no hardware virtualisation, "
                    + "or the kvm module is not loaded)", start);
        }
        try (FileChannel ignored = FileChannel.open(DEV_KVM, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // Opening read-write is what QEMU needs; closing again is enough.
        } catch (AccessDeniedException e) {
            return result(inputs, true, false, false, "no permission to open /dev/kvm read-write; add this user to "
                    + "the 'kvm' group and log in again", start);
        } catch (NoSuchFileException e) {
            return result(inputs, false, false, false, "/dev/kvm disappeared", start);
        } catch (IOException e) {
            return result(inputs, true, false, false, "cannot open /dev/kvm: " + e.getMessage(), start);
        }
        if (!Files.isRegularFile(kernel)) {
            return result(inputs, true, true, false, "cannot test KVM: kernel " + kernel + " does not exist", start);
        }
        Path dir = null;
        VmmProcess vmm = null;
        try {
            dir = Files.createTempDirectory("pyro-kvm-probe-");
            Path console = dir.resolve("console.log");
            Path log = dir.resolve("qemu.log");
            List<String> command = List.of(qemu.path().toString(), "-M", "microvm,acpi=off", "-nodefaults",
                    "-no-user-config", "-nographic", "-no-reboot", "-accel", "kvm", "-cpu", cpuModel, "-m", "128",
                    "-smp", "1", "-kernel", kernel.toAbsolutePath().toString(),
                    // No root disk: the kernel boots all the way to mounting root, fails, panics
                    // and (panic=-1, reboot=t, -no-reboot) QEMU exits.
                    "-append", "console=ttyS0 reboot=t panic=-1",
                    "-chardev", "file,id=console,path=" + QemuCommandLine.opt(console.toString()),
                    "-serial", "chardev:console");
            vmm = VmmProcess.start("kvm-probe", command, log, true);
            long end = start + deadline.toNanos();
            while (true) {
                Optional<String> reached = find(console, REACHED_INIT);
                if (reached.isPresent()) {
                    return result(inputs, true, true, true, "a test guest reached '" + reached.get() + "' in "
                            + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms", start);
                }
                Optional<String> failure = find(log, KVM_FAILURE).or(() -> find(console, KVM_FAILURE));
                if (failure.isPresent()) {
                    return result(inputs, true, true, false, "QEMU with KVM failed: " + failure.get(), start);
                }
                if (!vmm.isAlive()) {
                    // Exited without a known line; read once more in case it printed and left.
                    reached = find(console, REACHED_INIT);
                    if (reached.isPresent()) {
                        continue;
                    }
                    String last = BootDiagnosis.qemuError(log).orElseGet(() -> lastLine(console));
                    return result(inputs, true, true, false, "QEMU with KVM exited early"
                            + (last.isEmpty() ? "" : ": " + last), start);
                }
                if (System.nanoTime() - end >= 0) {
                    String last = lastLine(console);
                    return result(inputs, true, true, false, "a test guest under KVM did not reach init within "
                            + deadline.toSeconds() + " s (broken nested virtualisation?)"
                            + (last.isEmpty() ? "" : "; last console line: " + last), start);
                }
                vmm.waitFor(Duration.ofMillis(50));
            }
        } catch (IOException e) {
            return result(inputs, true, true, false, "cannot run the KVM test boot: " + e.getMessage(), start);
        } finally {
            if (vmm != null) {
                vmm.kill();
            }
            deleteTree(dir);
        }
    }

    private static Result result(Inputs inputs, boolean present, boolean opens, boolean usable, String reason,
            long start) {
        return new Result(inputs, present, opens, usable, reason, Duration.ofNanos(System.nanoTime() - start));
    }

    private static Optional<String> find(Path file, Pattern pattern) {
        for (String line : BootDiagnosis.tailLines(file)) {
            var m = pattern.matcher(line);
            if (m.find()) {
                return Optional.of(line);
            }
        }
        return Optional.empty();
    }

    private static String lastLine(Path file) {
        List<String> lines = BootDiagnosis.tailLines(file);
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    private static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // best effort
        }
    }
}
