package dev.pyro.internal.run;

import dev.pyro.OutputListener;
import dev.pyro.ProgressEvent;
import dev.pyro.ProgressListener;
import dev.pyro.PyroException;
import dev.pyro.internal.guest.ExecFailedException;
import dev.pyro.internal.guest.ExecRequest;
import dev.pyro.internal.guest.ExecResult;
import dev.pyro.internal.runtime.Capability;
import dev.pyro.internal.runtime.CapabilityProof;
import dev.pyro.internal.runtime.RuntimeLock;
import dev.pyro.internal.runtime.ResolvedRuntime;
import dev.pyro.internal.runtime.RuntimeBuilder;
import java.time.Duration;
import java.util.Optional;

/**
 * Proves the runtime's capabilities with real work and records them in the runtime lock:
 * {@code vm_boot} when a VM booted from the installed kernel and image and its agent answered
 * with the expected kernel release; {@code guest_exec} when {@code uname -r} ran in that VM and
 * printed the release of the kernel we built. Nothing else sets these flags.
 */
public final class CapabilityCheck {
    private static final int CHECK_MEM_MIB = 256;
    private static final Duration CHECK_TTL = Duration.ofMinutes(3);

    private final RuntimeBuilder runtime;
    private final VmLauncher launcher;

    public CapabilityCheck(RuntimeBuilder runtime, VmLauncher launcher) {
        this.runtime = runtime;
        this.launcher = launcher;
    }

    /**
     * Whether vm_boot and guest_exec are proven for exactly these artifacts of this environment
     * (the lock's safety rule; another environment's proof does not count).
     */
    public boolean proven(ResolvedRuntime resolved) {
        return runtime.proven(resolved);
    }

    /** Whether guest_network is proven for exactly these artifacts. */
    public boolean networkProven(ResolvedRuntime resolved) {
        return runtime.proven(resolved, java.util.List.of(Capability.GUEST_NETWORK));
    }

    /**
     * Proves guest_network: boots a VM of {@code environment} with the user back end and
     * allow-host for one port, serves a random nonce on an ephemeral port of the host's loopback, and has the
     * guest read it from host.pyro.internal with bash's /dev/tcp (in every environment, no curl
     * needed). Records guest_network only when the guest printed exactly that nonce.
     */
    public void proveNetwork(String environment, ProgressListener progress) {
        ResolvedRuntime resolved = runtime.resolve(environment, progress);
        VmLauncher.AccelChoice accel = launcher.chooseAccel(resolved, progress);
        launcher.prepareNetwork(dev.pyro.NetworkRequest.egress().withBackend("user"), progress);
        progress.onProgress(ProgressEvent.of("check", "proving guest networking: booting " + environment
                + " with the user back end"));
        byte[] raw = new byte[16];
        new java.security.SecureRandom().nextBytes(raw);
        String nonce = java.util.HexFormat.of().formatHex(raw);
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress())) {
            Thread serve = new Thread(() -> {
                while (!server.isClosed()) {
                    try (java.net.Socket s = server.accept()) {
                        s.getOutputStream().write((nonce + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            }, "pyro-network-check");
            serve.setDaemon(true);
            serve.start();
            // Host access goes by port: the guest reaches exactly the nonce server's port.
            dev.pyro.NetworkRequest request = dev.pyro.NetworkRequest.egress().withBackend("user")
                    .withAllowHostPorts(java.util.List.of(server.getLocalPort()));
            String id = launcher.newVmId();
            VmLauncher.Options options = new VmLauncher.Options(1, CHECK_MEM_MIB, CHECK_TTL, true, Optional.empty(),
                    dev.pyro.internal.net.NetworkPlanner.plan(request, id, java.util.Set.of()));
            try (VmLauncher.Launched vm = launcher.boot(id, resolved, options, accel, progress)) {
                OutputCapture output = new OutputCapture(OutputListener.NONE, 1 << 16);
                ExecResult result;
                try {
                    result = vm.guest().exec(ExecRequest.of("bash", "-c", "exec 3<>/dev/tcp/"
                            + dev.pyro.NetworkInfo.HOST_NAME + "/" + server.getLocalPort() + " && head -n 1 <&3")
                            .withTimeout(Duration.ofSeconds(60)), output);
                } catch (ExecFailedException e) {
                    vm.keepConsoleLog();
                    throw new PyroException(PyroException.Kind.VM_FAILED, "guest network check: the guest could not run"
                            + " bash (" + e.getMessage() + "); see " + vm.consoleLog());
                }
                String got = new String(output.stdout(), java.nio.charset.StandardCharsets.UTF_8).strip();
                if (result.exitCode() != 0 || !got.equals(nonce)) {
                    vm.keepConsoleLog();
                    throw new PyroException(PyroException.Kind.VM_FAILED, "guest network check failed: the guest could"
                            + " not read the host's nonce from " + dev.pyro.NetworkInfo.HOST_NAME + " (exit "
                            + result.exitCode() + ", stderr '" + new String(output.stderr(),
                                    java.nio.charset.StandardCharsets.UTF_8).strip() + "'); see " + vm.consoleLog());
                }
                runtime.recordCapability(Capability.GUEST_NETWORK, resolved);
                vm.shutdown();
                progress.onProgress(ProgressEvent.of("check", "guest networking proven: guest_network recorded"));
            }
        } catch (java.io.IOException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "guest network check: cannot listen on the host's"
                    + " loopback: " + e.getMessage(), e);
        }
    }

    /** Boots a VM of {@code environment}, runs {@code uname -r}, and records what passed. */
    public void prove(String environment, ProgressListener progress) {
        ResolvedRuntime resolved = runtime.resolve(environment, progress);
        VmLauncher.AccelChoice accel = launcher.chooseAccel(resolved, progress);
        progress.onProgress(ProgressEvent.of("check", "proving the runtime: booting " + environment
                + " (" + accel.accel().wireName() + ")"));
        VmLauncher.Options options = new VmLauncher.Options(1, CHECK_MEM_MIB, CHECK_TTL, true, Optional.empty());
        try (VmLauncher.Launched vm = launcher.boot(resolved, options, accel, progress)) {
            if (!resolved.kernelRelease().equals(vm.kernelRelease())) {
                vm.keepConsoleLog();
                throw new PyroException(PyroException.Kind.VM_FAILED, "the guest runs kernel " + vm.kernelRelease()
                        + " but the runtime built " + resolved.kernelRelease()
                        + "; rebuild with: pyro runtime build-kernel --force"
                        + " (or pull the environment again: pyro env pull " + environment + ")");
            }
            runtime.recordCapability(Capability.VM_BOOT, resolved);
            progress.onProgress(ProgressEvent.of("check", "proving the runtime: running uname -r in the guest"));
            OutputCapture output = new OutputCapture(OutputListener.NONE, 1 << 16);
            ExecResult result;
            try {
                result = vm.guest().exec(ExecRequest.of("uname", "-r").withTimeout(Duration.ofSeconds(60)), output);
            } catch (ExecFailedException e) {
                vm.keepConsoleLog();
                throw new PyroException(PyroException.Kind.VM_FAILED,
                        "the guest could not run uname (" + e.getMessage() + "); rebuild the image with: pyro runtime build-rootfs "
                                + environment + " --force");
            }
            String release = new String(output.stdout(), java.nio.charset.StandardCharsets.UTF_8).strip();
            if (result.exitCode() != 0 || !release.equals(resolved.kernelRelease())) {
                vm.keepConsoleLog();
                throw new PyroException(PyroException.Kind.VM_FAILED, "guest exec check failed: uname -r exited "
                        + result.exitCode() + " with '" + release + "', expected '" + resolved.kernelRelease()
                        + "'; see " + vm.consoleLog());
            }
            runtime.recordCapability(Capability.GUEST_EXEC, resolved);
            vm.shutdown();
            progress.onProgress(ProgressEvent.of("check", "runtime proven: vm_boot and guest_exec recorded"));
        }
    }
}
