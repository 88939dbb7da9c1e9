package dev.pyro.internal.engine.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyro.Accel;
import dev.pyro.internal.engine.VmSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class QemuCommandLineTest {
    static final QemuBinary QEMU = new QemuBinary(Path.of("/usr/bin/qemu-system-x86_64"), "7.2.19", "QEMU 7.2.19");

    static VmSpec spec(Optional<Path> disk, Accel accel, boolean ephemeral, Duration ttl) {
        return new VmSpec("abc", Path.of("/run/vms/abc"), Path.of("/k/bzImage"), Path.of("/img/root,1.ext4"), disk, 2,
                768, accel, ephemeral, ttl, Duration.ofSeconds(30));
    }

    static VmFiles files() {
        Path dir = Path.of("/run/vms/abc");
        return new VmFiles(dir, dir.resolve("console.log"), dir.resolve("qemu.log"), List.of(dir.resolve("agent.sock")),
                dir.resolve("qmp.sock"), Optional.empty());
    }

    static String after(List<String> cmd, String option) {
        return cmd.get(cmd.indexOf(option) + 1);
    }

    @Test
    void aVmWithoutANetworkHasNoNetworkDevice() {
        List<String> cmd = QemuCommandLine.build(QEMU, spec(Optional.empty(), Accel.TCG, true, Duration.ofSeconds(90)),
                files(), QemuCommandLine.Tuning.defaults());
        assertThat(cmd).doesNotContain("-netdev").noneMatch(a -> a.contains("virtio-net"));
        assertThat(after(cmd, "-append")).doesNotContain("pyro.net=");
    }

    @Test
    void aNetworkedVmGetsOneVirtioNetDeviceAndItsAddressesOnTheKernelCommandLine() {
        dev.pyro.internal.net.NetworkPlan plan = new dev.pyro.internal.net.NetworkPlan(dev.pyro.NetworkPolicy.EGRESS,
                dev.pyro.internal.net.Backend.USER, 1, Optional.of("10.213.0.5"), List.of(8000), List.of(), Optional.empty(),
                List.of());
        VmSpec spec = spec(Optional.empty(), Accel.TCG, true, Duration.ofSeconds(90)).withNetwork(Optional.of(plan));
        List<String> cmd = QemuCommandLine.build(QEMU, spec, files(), QemuCommandLine.Tuning.defaults(),
                List.of("stream", "id=net0", "server=off", "addr.type=unix", "addr.path=/run/vms/abc/net.sock"));
        assertThat(after(cmd, "-netdev")).isEqualTo("stream,id=net0,server=off,addr.type=unix,addr.path=/run/vms/abc/net.sock");
        assertThat(cmd).contains("virtio-net-device,netdev=net0,mac=52:54:00:d5:00:01");
        assertThat(after(cmd, "-append")).contains("pyro.net=10.213.0.6/30,10.213.0.5,10.213.0.5", "pyro.host=10.213.0.5");
        // The root disk stays the first virtio device (/dev/vda).
        assertThat(cmd.indexOf("virtio-blk-device,drive=root")).isLessThan(cmd.indexOf("-netdev"));
    }

    @Test
    void tcgEphemeralVmWithoutDisk() {
        List<String> cmd = QemuCommandLine.build(QEMU, spec(Optional.empty(), Accel.TCG, true, Duration.ofSeconds(90)),
                files(), QemuCommandLine.Tuning.defaults());
        assertThat(cmd.get(0)).isEqualTo("/usr/bin/qemu-system-x86_64");
        assertThat(after(cmd, "-M")).isEqualTo("microvm,acpi=off");
        assertThat(cmd).contains("-nodefaults", "-no-user-config", "-nographic", "-no-reboot");
        assertThat(after(cmd, "-accel")).isEqualTo("tcg");
        assertThat(after(cmd, "-cpu")).isEqualTo("max,-erms,-fsrm");
        assertThat(after(cmd, "-m")).isEqualTo("768");
        assertThat(after(cmd, "-smp")).isEqualTo("2");
        assertThat(after(cmd, "-kernel")).isEqualTo("/k/bzImage");
        assertThat(after(cmd, "-append").split(" ")).containsExactly("console=ttyS0", "reboot=t", "panic=-1",
                "root=/dev/vda", "ro", "rootfstype=ext4", "init=/usr/sbin/pyro-agent", "quiet", "pyro.upper=tmpfs",
                "pyro.ephemeral=1", "pyro.ttl=90");
        // The comma in the image name is escaped for QEMU's option syntax.
        assertThat(after(cmd, "-drive")).isEqualTo("file=/img/root,,1.ext4,format=raw,if=none,id=root,readonly=on");
        assertThat(cmd).containsSubsequence("-device", "virtio-blk-device,drive=root");
        assertThat(cmd.stream().filter(a -> a.startsWith("file=")).count()).isEqualTo(1);
        assertThat(cmd).contains("virtio-serial-device,max_ports=2",
                "socket,id=agent,server=on,wait=off,path=/run/vms/abc/agent.sock",
                "virtserialport,chardev=agent,name=org.pyro.agent",
                "socket,id=qmp,server=on,wait=off,path=/run/vms/abc/qmp.sock", "chardev=qmp,mode=control",
                "file,id=console,path=/run/vms/abc/console.log", "chardev:console");
    }

    @Test
    void kvmPersistentVmWithWritableDisk() {
        List<String> cmd = QemuCommandLine.build(QEMU, spec(Optional.of(Path.of("/d/disk.ext4")), Accel.KVM, false,
                Duration.ZERO), files(), QemuCommandLine.Tuning.defaults());
        assertThat(after(cmd, "-accel")).isEqualTo("kvm");
        assertThat(after(cmd, "-cpu")).isEqualTo("host");
        String append = after(cmd, "-append");
        assertThat(append).contains("pyro.upper=/dev/vdb").doesNotContain("pyro.ephemeral", "pyro.ttl");
        // Root first (/dev/vda), then the writable disk (/dev/vdb).
        assertThat(cmd).containsSubsequence("virtio-blk-device,drive=root", "virtio-blk-device,drive=data");
        assertThat(cmd).contains("file=/d/disk.ext4,format=raw,if=none,id=data,discard=unmap");
    }

    @Test
    void ttlIsRoundedUpAndTuningApplies() {
        var tuning = new QemuCommandLine.Tuning(false, "qemu64", 128, List.of("lpj=1"));
        List<String> cmd = QemuCommandLine.build(QEMU, spec(Optional.empty(), Accel.TCG, true, Duration.ofMillis(1500)),
                files(), tuning);
        assertThat(after(cmd, "-append")).contains("pyro.ttl=2").doesNotContain("quiet").endsWith(" lpj=1");
        assertThat(after(cmd, "-accel")).isEqualTo("tcg,tb-size=128");
        assertThat(after(cmd, "-cpu")).isEqualTo("qemu64");
    }

    @Test
    void severalAgentPortsEachGetASocketAndANamedPort() throws Exception {
        Path dir = java.nio.file.Files.createTempDirectory("pyro-cmdline-");
        try {
            VmFiles files = VmFiles.create(dir, "abc", 3);
            List<String> cmd = QemuCommandLine.build(QEMU, spec(Optional.empty(), Accel.TCG, false, Duration.ZERO)
                    .withAgentPorts(3), files, QemuCommandLine.Tuning.defaults());
            String d = dir.toAbsolutePath().normalize().toString();
            // Port 0 of virtio-serial is reserved for a console: 3 ports need max_ports=4.
            assertThat(cmd).containsSubsequence("virtio-serial-device,max_ports=4",
                    "socket,id=agent,server=on,wait=off,path=" + d + "/agent.sock",
                    "virtserialport,chardev=agent,name=org.pyro.agent",
                    "socket,id=agent1,server=on,wait=off,path=" + d + "/agent.1.sock",
                    "virtserialport,chardev=agent1,name=org.pyro.agent.1",
                    "socket,id=agent2,server=on,wait=off,path=" + d + "/agent.2.sock",
                    "virtserialport,chardev=agent2,name=org.pyro.agent.2");
            assertThat(new PortLocks(dir, "b00t").agentLock(2)).isEqualTo(dir.resolve("agent-b00t-2.lock"));
            assertThat(QemuCommandLine.agentPortName(15)).isEqualTo("org.pyro.agent.15");
        } finally {
            dev.pyro.testsupport.AgentBinary.deleteTree(dir);
        }
    }
}
