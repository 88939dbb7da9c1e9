package dev.pyro.internal.run;

import dev.pyro.PyroException;
import dev.pyro.RunRequest;
import java.util.List;
import java.util.Set;

/**
 * Checks a {@link RunRequest} before any work starts, so that bad input costs nothing and
 * leaves nothing behind. Messages use the JSON/MCP field names (snake_case) and name the fix.
 */
public final class RunValidation {
    /** Below this the guest kernel and agent do not come up reliably (measured: see docs/performance.md). */
    static final int MIN_MEM_MIB = 128;
    static final int MAX_VCPU_COUNT = 32;
    static final Set<String> ENGINES = Set.of("auto", "qemu", "firecracker", "host_compat");

    private RunValidation() {
    }

    /** The checks every VM request shares: environment, vCPUs, memory, lifetime. */
    public static void checkMachine(String environment, List<String> knownEnvironments, int vcpuCount, int memMib,
            long ttlSeconds, long hostMemMib) {
        if (!knownEnvironments.contains(environment)) {
            throw PyroException.invalidArgument("unknown environment '" + environment
                    + "'; known environments: " + String.join(", ", knownEnvironments));
        }
        if (vcpuCount < 1 || vcpuCount > MAX_VCPU_COUNT) {
            throw PyroException.invalidArgument("vcpu_count must be between 1 and " + MAX_VCPU_COUNT
                    + "; got " + vcpuCount);
        }
        if (memMib < MIN_MEM_MIB) {
            throw PyroException.invalidArgument("mem_mib " + memMib + " is below the " + MIN_MEM_MIB
                    + " MiB the guest kernel needs; use " + MIN_MEM_MIB + " or more");
        }
        if (hostMemMib > 0 && memMib > hostMemMib) {
            throw PyroException.invalidArgument("mem_mib " + memMib + " is more than this host's "
                    + hostMemMib + " MiB of memory; use less");
        }
        if (ttlSeconds <= 0) {
            throw PyroException.invalidArgument("ttl_seconds must be a positive number of seconds; got " + ttlSeconds);
        }
    }

    /** Networking needs a VM: host-compat runs on the host's own network, with nothing to isolate it. */
    public static void checkNetworkEngine(dev.pyro.NetworkRequest network, String engine) {
        if (network.enabled() && engine.equals("host_compat")) {
            throw PyroException.invalidArgument(hostCompatNetwork());
        }
    }

    /** The error for networking asked where only host-compat can run. */
    public static String hostCompatNetwork() {
        return "networking needs a VM: host-compat would run the command on the host's own network without"
                + " isolation; drop the network options or make guest execution work here (pyro doctor)";
    }

    /** A command's timeout. */
    /** The most bytes a command's arguments may take together (UTF-8, plus 4 per argument). */
    public static final int MAX_COMMAND_BYTES = 512 * 1024;

    /**
     * A command travels in one protocol frame (1 MiB), and Linux refuses longer argument lists
     * anyway: a longer one is refused here, before anything starts, naming the limit.
     */
    public static void checkCommandSize(List<String> command) {
        long bytes = 0;
        for (String arg : command) {
            bytes += 4 + (long) arg.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        }
        if (bytes > MAX_COMMAND_BYTES) {
            throw PyroException.invalidArgument("the command's " + command.size() + " arguments take " + bytes
                    + " bytes, more than " + MAX_COMMAND_BYTES + " (a fixed limit); write long input to a file in "
                    + "the workspace (sync push) and pass its name instead");
        }
    }

    public static void checkTimeout(int timeoutSeconds) {
        if (timeoutSeconds <= 0) {
            throw PyroException.invalidArgument("timeout_seconds must be a positive number of seconds; got "
                    + timeoutSeconds);
        }
    }

    static void check(RunRequest r, List<String> knownEnvironments, long hostMemMib) {
        checkMachine(r.environment(), knownEnvironments, r.vcpuCount(), r.memMib(), r.ttlSeconds(), hostMemMib);
        if (r.command().isEmpty()) {
            throw PyroException.invalidArgument("no command given; pass the command and its arguments, e.g. [\"uname\", \"-a\"]");
        }
        if (r.command().get(0).isEmpty()) {
            throw PyroException.invalidArgument("the command's program name is empty; pass e.g. [\"uname\", \"-a\"]");
        }
        checkCommandSize(r.command());
        checkTimeout(r.timeoutSeconds());
        if (r.timeoutSeconds() > r.ttlSeconds()) {
            throw PyroException.invalidArgument("timeout_seconds (" + r.timeoutSeconds() + ") is longer than the VM's ttl_seconds ("
                    + r.ttlSeconds() + "); raise ttl_seconds or lower timeout_seconds");
        }
        if (!ENGINES.contains(r.engine())) {
            throw PyroException.invalidArgument("unknown engine '" + r.engine() + "'; use one of: auto, qemu, firecracker, host_compat");
        }
        if (r.engine().equals("host_compat") && !r.allowHostCompat()) {
            throw PyroException.invalidArgument("engine host_compat runs on the host without isolation;"
                    + " it needs allow_host_compat (--allow-host-compat)");
        }
        checkNetworkEngine(r.network(), r.engine());
        dev.pyro.internal.net.NetworkPlanner.checkPublishedPorts(r.network().publish());
        if (r.outputLimitBytes() < 0) {
            throw PyroException.invalidArgument("output_limit_bytes must not be negative");
        }
    }
}
