package dev.pyro.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pyro.internal.host.Exec;
import dev.pyro.internal.host.HostRequirements;
import dev.pyro.internal.host.HostTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Boots the materialised kernel and image in QEMU (software emulation) with a shell as init,
 * to show that the two fit together: the kernel finds virtio-mmio, mounts the ext4 root, and
 * runs a program from it. It does not start the guest agent (the engine's tests do) and
 * records no capability.
 *
 * <p>{@code reboot=t}: on QEMU's microvm without ACPI the kernel's default reboot methods
 * fault in a loop after init exits; a triple fault resets the VM, which -no-reboot turns into
 * QEMU exiting.
 */
class BootSmokeIT {
    @TempDir
    Path dir;

    @Test
    void theKernelBootsTheImageAndRunsAProgramFromIt() throws Exception {
        RuntimeBuilder runtime = ItRuntime.builder();
        RuntimeStatus status = runtime.status(false, e -> { });
        assumeTrue(status.component("kernel").map(ComponentStatus::ready).orElse(false)
                && status.component("rootfs:debian:12-base").map(ComponentStatus::ready).orElse(false),
                "kernel and debian:12-base must be materialized first");
        ResolvedRuntime resolved = runtime.resolve("debian:12-base", e -> { });
        HostTools tools = HostTools.fromEnvironment(System.getenv(), dir, dir.resolve("apt-lists-updated"));
        Path qemu = tools.ensure(List.of(HostRequirements.QEMU), e -> { }).get("qemu-system-x86_64");
        Path console = dir.resolve("console.log");
        // No "--" on the command line: QEMU's microvm appends its virtio_mmio.device= entries at
        // the end, and after "--" the kernel would hand them to init instead of probing the disk.
        // Bare words reach init as arguments; the script has no '=' or '.', which the kernel
        // would treat as an environment variable or a module parameter.
        String script = "echo PYRO-RELEASE $(uname -r); cat /etc/hostname; ls -l /usr/sbin/pyro-agent";
        List<String> argv = List.of(qemu.toString(), "-M", "microvm,acpi=off", "-accel", "tcg", "-m", "256",
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-serial", "file:" + console,
                "-kernel", resolved.bzImage().toString(),
                "-append", "console=ttyS0 root=/dev/vda ro rootfstype=ext4 panic=-1 reboot=t init=/bin/sh -c \""
                        + script + "\"",
                "-drive", "id=root,file=" + resolved.rootImage() + ",format=raw,if=none,readonly=on",
                "-device", "virtio-blk-device,drive=root");
        long start = System.nanoTime();
        Exec.Result result = Exec.capture(argv, dir, Map.of(), Duration.ofSeconds(120));
        double seconds = (System.nanoTime() - start) / 1e9;
        String log = Files.exists(console) ? Files.readString(console) : "";
        System.out.printf("booted %s + %s in %.1f s (TCG)%n", resolved.kernelRelease(), resolved.rootImage(), seconds);
        assertThat(result.exitCode()).as(result.stderr() + log).isZero();
        assertThat(log).contains("PYRO-RELEASE " + resolved.kernelRelease(), "\npyro\r\n")
                .containsPattern("-rwxr-xr-x 1 root root \\d+ .* /usr/sbin/pyro-agent");
    }
}
