package dev.pyro;

import java.util.List;

/**
 * The outcome of a command in a workspace or VM.
 *
 * @param machineId the workspace or VM
 * @param sequence its number in the workspace's journal (0 for a VM)
 * @param command the argument vector
 * @param cwd its working directory
 * @param exitCode exit code (124 timed out; 126/127 could not start; 128+N killed by signal N)
 * @param stdout standard output, byte-exact up to the output limit
 * @param stderr standard error
 * @param stdoutTruncated stdout exceeded the limit
 * @param stderrTruncated stderr exceeded the limit
 * @param timedOut the timeout killed it
 * @param durationMs wall time of the exec
 * @param executionMode where it ran
 */
public record CommandResult(String machineId, long sequence, List<String> command, String cwd, int exitCode,
        byte[] stdout, byte[] stderr, boolean stdoutTruncated, boolean stderrTruncated, boolean timedOut,
        long durationMs, ExecutionMode executionMode) {

    public String stdoutText() {
        return new String(stdout, java.nio.charset.StandardCharsets.UTF_8);
    }

    public String stderrText() {
        return new String(stderr, java.nio.charset.StandardCharsets.UTF_8);
    }
}
