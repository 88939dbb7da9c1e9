package dev.pyro.mcp.tools;

import static dev.pyro.mcp.Schemas.*;

import java.util.List;
import java.util.Map;

/** The output schema of a run result: the fields of {@link dev.pyro.JsonViews#run}. */
final class RunResultSchema {
    static final Map<String, Object> SCHEMA = result(properties(
            "environment", string("The environment the command ran in."),
            "engine", string("\"qemu\", \"firecracker\" or \"host_compat\"."),
            "accel", string("How the CPU was virtualised: \"kvm\", \"tcg\" (software emulation) or \"none\" (host)."),
            "execution_mode", string("\"guest_virtio_serial\", \"guest_vsock\" or \"host_compat\" (no isolation)."),
            "exit_code", integer("The command's exit code; 128+N when signal N ended it, 124 when it timed out,"
                    + " 127/126 when it could not be started."),
            "stdout", string("Standard output as UTF-8 text (invalid bytes replaced)."),
            "stderr", string("Standard error as UTF-8 text (invalid bytes replaced)."),
            "stdout_base64", string("The exact stdout bytes, only present when they were not valid UTF-8."),
            "stderr_base64", string("The exact stderr bytes, only present when they were not valid UTF-8."),
            "stdout_truncated", bool("True when stdout was longer than max_output_bytes and was cut."),
            "stderr_truncated", bool("True when stderr was longer than max_output_bytes and was cut."),
            OutputLimit.schemaFields()[0], OutputLimit.schemaFields()[1],
            OutputLimit.schemaFields()[2], OutputLimit.schemaFields()[3],
            "timed_out", bool("True when the command was killed at timeout_seconds."),
            "duration_ms", integer("Wall time of the whole run, boot to teardown."),
            "boot_ms", integer("Time to boot the VM."),
            "exec_ms", integer("Time the command ran."),
            "teardown_ms", integer("Time to delete the VM."),
            "vm_id", string("The VM's id (empty for host_compat)."),
            "kernel_release", string("The guest kernel release (empty for host_compat)."),
            "note", nullableString("Why the run was slower or less isolated than it could be, or null."),
            "network", MachineSchemas.networkSchema()),
            List.of("environment", "engine", "execution_mode", "exit_code", "stdout", "stderr", "timed_out",
                    "duration_ms"));

    private RunResultSchema() {
    }
}
