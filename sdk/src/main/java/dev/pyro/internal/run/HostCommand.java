package dev.pyro.internal.run;

import dev.pyro.OutputListener;
import dev.pyro.PyroException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command directly on the host (host-compat execution: no isolation at all), in its own
 * session so that a timeout kills its whole process group, with output streamed byte-exact.
 */
public final class HostCommand {
    /**
     * How a host command ended.
     *
     * @param exitCode its exit code (128 + signal when a signal ended it; 124 when timed out)
     * @param timedOut whether the timeout killed it
     * @param startFailure why it could not start (then exitCode is 127), or null
     */
    public record Outcome(int exitCode, boolean timedOut, String startFailure) {
    }

    private HostCommand() {
    }

    public static Outcome run(List<String> argv, Path workDir, Map<String, String> env, Duration timeout,
            OutputListener output) {
        List<String> command = new ArrayList<>();
        // setsid makes the command a session and process-group leader (pid == pgid), so one
        // kill(-pgid) reaches everything it started that did not leave the group itself.
        command.add("setsid");
        command.add("--wait");
        command.addAll(argv);
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP,
                    "cannot start a host command (" + e.getMessage() + "); is util-linux's setsid installed?");
        }
        Thread outPump = pump(process.getInputStream(), true, output);
        Thread errPump = pump(process.getErrorStream(), false, output);
        boolean timedOut = false;
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                timedOut = true;
                killTree(process);
                process.waitFor();
            }
            outPump.join(2000);
            errPump.join(2000);
        } catch (InterruptedException e) {
            killTree(process);
            Thread.currentThread().interrupt();
            throw new PyroException(PyroException.Kind.CANCELLED, "host command interrupted");
        } finally {
            killTree(process);
        }
        int code = process.exitValue();
        if (timedOut) {
            return new Outcome(124, true, null);
        }
        return new Outcome(code, false, null);
    }

    /** Kills the process group (setsid made pid == pgid) and any descendant that left it. */
    private static void killTree(Process process) {
        long pid = process.pid();
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        try {
            new ProcessBuilder("kill", "-KILL", "--", "-" + pid)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start()
                    .waitFor(2, TimeUnit.SECONDS);
        } catch (IOException e) {
            // The group is already gone or kill is missing; destroyForcibly below still ends the leader.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.destroyForcibly();
    }

    private static Thread pump(InputStream in, boolean stdout, OutputListener output) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[65536];
            try (in) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    if (stdout) {
                        output.onStdout(buf, 0, n);
                    } else {
                        output.onStderr(buf, 0, n);
                    }
                }
            } catch (IOException e) {
                // The process died and its pipe closed: the output ends here.
            }
        }, stdout ? "host-stdout" : "host-stderr");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
