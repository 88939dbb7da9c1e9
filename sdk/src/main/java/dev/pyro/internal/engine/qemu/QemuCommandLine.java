package dev.pyro.internal.engine.qemu;

import dev.pyro.Accel;
import dev.pyro.internal.engine.VmSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds QEMU's command line for a VM (docs/engines.md explains every part). Pure: no I/O,
 * so it is unit-tested as is.
 */
public final class QemuCommandLine {
    /** Where the agent binary lives in every environment image; it runs as PID 1. */
    public static final String AGENT_PATH = "/usr/sbin/pyro-agent";
    /** The virtio-serial port name the agent looks for. */
    public static final String AGENT_PORT = "org.pyro.agent";

    private QemuCommandLine() {
    }

    /**
     * The virtio-serial port name of agent port {@code port}: {@code org.pyro.agent} for 0,
     * {@code org.pyro.agent.N} for the others (each an independent connection to the agent).
     */
    public static String agentPortName(int port) {
        return port == 0 ? AGENT_PORT : AGENT_PORT + "." + port;
    }

    /**
     * Tunables measured in docs/engines.md; the defaults are what the engine uses.
     *
     * @param quiet pass {@code quiet} (the kernel prints only warnings and panics: less serial
     *     output, which is slow under emulation; panics, the lines that explain a failed boot,
     *     still show)
     * @param cpuModelTcg the CPU model under TCG
     * @param tcgTranslationCacheMib TCG's translation cache (QEMU's default is 1 GiB of address
     *     space, of which only what is used becomes resident); 0 keeps QEMU's default
     * @param extraKernelArgs appended to the kernel command line
     */
    public record Tuning(boolean quiet, String cpuModelTcg, int tcgTranslationCacheMib, List<String> extraKernelArgs) {
        public Tuning {
            extraKernelArgs = List.copyOf(extraKernelArgs);
        }

        /**
         * TCG's CPU model: every feature QEMU emulates (so x86-64-v3 software runs) except
         * ERMS and FSRM. With those, glibc and the kernel copy memory with {@code rep movsb},
         * which TCG emulates slowly: moving output through a pipe and the channel measured 3x
         * slower (docs/engines.md).
         */
        public static final String TCG_CPU = "max,-erms,-fsrm";

        public static Tuning defaults() {
            return new Tuning(true, TCG_CPU, 0, List.of());
        }
    }

    /** The kernel command line: console, root, init and the guest boot contract of docs/guest-protocol.md. */
    public static String kernelArgs(VmSpec spec, Tuning tuning) {
        List<String> args = new ArrayList<>(List.of(
                "console=ttyS0",
                // Any reboot (the agent's power off, a panic) becomes QEMU exiting (-no-reboot).
                "reboot=t", "panic=-1",
                "root=/dev/vda", "ro", "rootfstype=ext4",
                "init=" + AGENT_PATH));
        if (tuning.quiet()) {
            args.add("quiet");
        }
        args.add("pyro.upper=" + (spec.writableDisk().isPresent() ? "/dev/vdb" : "tmpfs"));
        if (spec.ephemeral()) {
            args.add("pyro.ephemeral=1");
        }
        if (!spec.ttl().isZero() && !spec.ttl().isNegative()) {
            long seconds = (spec.ttl().toMillis() + 999) / 1000; // rounded up: never earlier than asked
            args.add("pyro.ttl=" + seconds);
        }
        spec.network().ifPresent(plan -> args.addAll(plan.kernelArgs()));
        args.addAll(tuning.extraKernelArgs());
        return String.join(" ", args);
    }

    /** The full argv of a VM without a network device, starting with the QEMU binary. */
    public static List<String> build(QemuBinary qemu, VmSpec spec, VmFiles files, Tuning tuning) {
        return build(qemu, spec, files, tuning, List.of());
    }

    /**
     * The full argv, starting with the QEMU binary.
     *
     * @param netdev the {@code -netdev} option's value for the guest's network device (from
     *     {@link QemuNetwork}); empty when {@code spec} has no network
     */
    public static List<String> build(QemuBinary qemu, VmSpec spec, VmFiles files, Tuning tuning, List<String> netdev) {
        List<String> cmd = new ArrayList<>();
        cmd.add(qemu.path().toString());
        // microvm: no PCI, no firmware, virtio-mmio; acpi=off makes QEMU list the virtio-mmio
        // devices on the kernel command line, which our kernel reads
        // (CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES). pit, pic and rtc stay on: without the PIT our
        // kernel panics in timer setup, without the RTC boot is slower (measured).
        cmd.addAll(List.of("-M", "microvm,acpi=off"));
        cmd.addAll(List.of("-nodefaults", "-no-user-config", "-nographic", "-no-reboot"));
        cmd.addAll(List.of("-name", "pyro-" + spec.id()));
        if (spec.accel() == Accel.KVM) {
            cmd.addAll(List.of("-accel", "kvm", "-cpu", "host"));
        } else {
            String accel = tuning.tcgTranslationCacheMib() > 0 ? "tcg,tb-size=" + tuning.tcgTranslationCacheMib() : "tcg";
            cmd.addAll(List.of("-accel", accel, "-cpu", tuning.cpuModelTcg()));
        }
        cmd.addAll(List.of("-m", Integer.toString(spec.memMib()), "-smp", Integer.toString(spec.vcpuCount())));
        cmd.addAll(List.of("-kernel", spec.kernel().toAbsolutePath().toString(), "-append", kernelArgs(spec, tuning)));
        // Root: read-only, so QEMU takes only a shared lock and any number of VMs use one image.
        // It is the first virtio-mmio device, so the guest sees it as /dev/vda.
        cmd.addAll(List.of("-drive", "file=" + opt(spec.rootImage().toAbsolutePath().toString())
                + ",format=raw,if=none,id=root,readonly=on", "-device", "virtio-blk-device,drive=root"));
        spec.writableDisk().ifPresent(disk -> cmd.addAll(List.of("-drive", "file=" + opt(disk.toAbsolutePath().toString())
                + ",format=raw,if=none,id=data,discard=unmap", "-device", "virtio-blk-device,drive=data")));
        cmd.addAll(List.of("-chardev", "file,id=console,path=" + opt(files.consoleLog().toString()),
                "-serial", "chardev:console"));
        // Port 0 of a virtio-serial device is reserved for a console, so N ports need max_ports N+1.
        int ports = files.agentSockets().size();
        cmd.addAll(List.of("-device", "virtio-serial-device,max_ports=" + (ports + 1)));
        for (int port = 0; port < ports; port++) {
            String chardev = port == 0 ? "agent" : "agent" + port;
            cmd.addAll(List.of("-chardev", "socket,id=" + chardev + ",server=on,wait=off,path="
                    + opt(files.agentSockets().get(port).toString()),
                    "-device", "virtserialport,chardev=" + chardev + ",name=" + agentPortName(port)));
        }
        cmd.addAll(List.of("-chardev", "socket,id=qmp,server=on,wait=off,path=" + opt(files.qmpSocket().toString()),
                "-mon", "chardev=qmp,mode=control"));
        // No network unless asked: -nodefaults already leaves the VM without any NIC.
        spec.network().ifPresent(plan -> {
            if (netdev.isEmpty()) {
                throw new IllegalArgumentException("VM " + spec.id() + " has a network plan but no netdev");
            }
            cmd.addAll(List.of("-netdev", String.join(",", netdev),
                    "-device", "virtio-net-device,netdev=net0,mac=" + plan.mac()));
        });
        return cmd;
    }

    /** Escapes a value inside QEMU's {@code key=value,...} option syntax (a comma is doubled). */
    static String opt(String value) {
        return value.replace(",", ",,");
    }
}
