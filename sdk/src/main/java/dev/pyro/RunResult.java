package dev.pyro;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The outcome of {@link Pyro#run}. Output is kept byte-exact (up to the request's output limit).
 *
 * @param environment the environment the command ran in
 * @param engine {@code "qemu"}, {@code "firecracker"} or {@code "host_compat"}
 * @param accel how the CPU was virtualised ({@link Accel#NONE} for host-compat)
 * @param executionMode where and over which channel the command ran
 * @param exitCode the command's exit code (128 + signal if a signal ended it; 124 when timed out;
 *     127 or 126 when it could not be started)
 * @param stdout the command's standard output
 * @param stderr the command's standard error
 * @param stdoutTruncated true when stdout exceeded the output limit and was cut
 * @param stderrTruncated true when stderr exceeded the output limit and was cut
 * @param timedOut true when the command was killed at its timeout
 * @param durationMs wall time of the whole run, boot to teardown
 * @param timings the boot / exec / teardown breakdown
 * @param vmId the VM's id (empty for host-compat)
 * @param kernelRelease the guest kernel's release as the guest agent reported it (empty for host-compat)
 * @param note why the run was slower or less isolated than it could be (software emulation,
 *     host-compat), or empty
 * @param network the guest's network ({@link NetworkInfo#OFF}: it had no network device)
 */
public record RunResult(
        String environment,
        String engine,
        Accel accel,
        ExecutionMode executionMode,
        int exitCode,
        byte[] stdout,
        byte[] stderr,
        boolean stdoutTruncated,
        boolean stderrTruncated,
        boolean timedOut,
        long durationMs,
        Timings timings,
        String vmId,
        String kernelRelease,
        Optional<String> note,
        NetworkInfo network) {

    /** A result of a run without a network. */
    public RunResult(String environment, String engine, Accel accel, ExecutionMode executionMode, int exitCode,
            byte[] stdout, byte[] stderr, boolean stdoutTruncated, boolean stderrTruncated, boolean timedOut,
            long durationMs, Timings timings, String vmId, String kernelRelease, Optional<String> note) {
        this(environment, engine, accel, executionMode, exitCode, stdout, stderr, stdoutTruncated, stderrTruncated,
                timedOut, durationMs, timings, vmId, kernelRelease, note, NetworkInfo.OFF);
    }

    /** stdout decoded as UTF-8 (invalid bytes become U+FFFD; see {@link #stdoutIsUtf8()}). */
    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    /** stderr decoded as UTF-8 (invalid bytes become U+FFFD; see {@link #stderrIsUtf8()}). */
    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }

    public boolean stdoutIsUtf8() {
        return isUtf8(stdout);
    }

    public boolean stderrIsUtf8() {
        return isUtf8(stderr);
    }

    static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
