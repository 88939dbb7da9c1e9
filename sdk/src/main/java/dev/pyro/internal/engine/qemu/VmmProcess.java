package dev.pyro.internal.engine.qemu;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A VMM process and the thread that owns it.
 *
 * <p>An ephemeral VM must die with the JVM even when the JVM is SIGKILLed (no shutdown hook
 * runs then). It is started through util-linux {@code setpriv --pdeathsig KILL}, which asks
 * the kernel to SIGKILL it when its parent dies. Linux tracks the parent <em>thread</em>: the
 * signal fires when the thread that forked exits. So the process is started from a dedicated
 * thread that then waits for it and lives exactly as long as the VM; starting it from a caller
 * or pool thread would kill the VM when that thread ends.
 *
 * <p>A VM that must outlive the JVM is started through {@code setsid} instead, in its own
 * session, so a Ctrl-C at the terminal does not reach it. Both tools exec (they do not fork),
 * so {@link #pid()} is the VMM's own pid.
 */
final class VmmProcess {
    private final Process process;
    private final CompletableFuture<Integer> exit;

    private VmmProcess(Process process, CompletableFuture<Integer> exit) {
        this.process = process;
        this.exit = exit;
    }

    /**
     * Starts {@code command} with its stdout and stderr appended to {@code log}.
     *
     * @param dieWithJvm true: {@code setpriv --pdeathsig KILL}; false: {@code setsid}
     */
    static VmmProcess start(String name, List<String> command, Path log, boolean dieWithJvm) throws IOException {
        List<String> argv = new ArrayList<>();
        if (dieWithJvm) {
            argv.addAll(List.of(tool("setpriv"), "--pdeathsig", "KILL", "--"));
        } else {
            argv.add(tool("setsid"));
        }
        argv.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectErrorStream(true);
        CompletableFuture<Process> started = new CompletableFuture<>();
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        Thread owner = new Thread(() -> {
            Process p;
            try {
                p = builder.start();
            } catch (IOException | RuntimeException e) {
                started.completeExceptionally(e);
                return;
            }
            started.complete(p);
            while (true) {
                try {
                    exit.complete(p.waitFor());
                    return;
                } catch (InterruptedException e) {
                    // This thread must outlive the VM (see the class comment): keep waiting.
                }
            }
        }, "pyro-vmm-" + name);
        owner.setDaemon(true);
        owner.start();
        try {
            return new VmmProcess(started.get(), exit);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            // The process may still start: make sure it does not survive.
            started.thenAccept(Process::destroyForcibly);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting " + name);
        }
    }

    private static String tool(String name) throws IOException {
        for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new IOException(name + " (util-linux) not found; install util-linux");
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return !exit.isDone();
    }

    /** The exit status once it exited. */
    CompletableFuture<Integer> exit() {
        return exit;
    }

    /** Waits up to {@code timeout}; true if it exited. */
    boolean waitFor(Duration timeout) {
        try {
            exit.get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !isAlive();
        }
    }

    /** SIGKILL and wait (up to 5 s) until it is gone. */
    void kill() {
        process.destroyForcibly();
        waitFor(Duration.ofSeconds(5));
    }

    Process process() {
        return process;
    }
}
