package dev.pyro.internal.host;

import dev.pyro.PyroException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs external commands. Every process is registered with {@link ChildProcesses} while it
 * runs, and killed with its descendants when the calling thread is interrupted, so no
 * command outlives the operation that started it.
 */
public final class Exec {
    private Exec() {
    }

    /** What a finished command printed. */
    public record Result(int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }

        /** The first non-blank line of stderr (or stdout), for one-line error messages. */
        public String firstErrorLine() {
            for (String text : List.of(stderr, stdout)) {
                for (String line : text.split("\n")) {
                    if (!line.isBlank()) {
                        return line.trim();
                    }
                }
            }
            return "exit code " + exitCode;
        }
    }

    /** Runs a short command and captures its output (no timeout). */
    public static Result capture(List<String> argv) {
        return capture(argv, null, Map.of(), Duration.ZERO);
    }

    /**
     * Runs a command and captures stdout and stderr.
     *
     * @param dir working directory, or null for the current one
     * @param env variables to set (a null value removes the variable)
     * @param timeout zero for none; when exceeded the command is killed and -1 is its exit code
     */
    public static Result capture(List<String> argv, Path dir, Map<String, String> env, Duration timeout) {
        ProcessBuilder builder = builder(argv, dir, env);
        builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process process = start(builder);
        try {
            // Both streams are read on other threads so that the timeout below is honoured even
            // when the command prints nothing and never exits.
            CompletableFuture<String> err = readAsync(process.getErrorStream());
            CompletableFuture<String> out = readAsync(process.getInputStream());
            int code;
            if (timeout.isZero()) {
                code = process.waitFor();
            } else if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                code = process.exitValue();
            } else {
                ChildProcesses.killTree(process);
                code = -1;
            }
            return new Result(code, out.join(), err.join());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ChildProcesses.killTree(process);
            throw cancelled(argv);
        } finally {
            ChildProcesses.unregister(process);
        }
    }

    /**
     * Runs a long command, handing each line of its merged stdout and stderr to {@code lines}
     * as it appears, and returns the exit code. Interrupting the calling thread kills the
     * command and its descendants and throws a CANCELLED {@link PyroException}.
     */
    public static int stream(ProcessBuilder builder, Consumer<String> lines) {
        builder.redirectErrorStream(true);
        builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process process = start(builder);
        try {
            // The calling thread waits (interruptibly) while a helper thread reads the output.
            Pump pump = new Pump(process.getInputStream(), lines);
            int code = process.waitFor();
            pump.finish();
            return code;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ChildProcesses.killTree(process);
            throw cancelled(builder.command());
        } finally {
            ChildProcesses.unregister(process);
        }
    }

    /**
     * Runs a pipeline (each builder's stdout feeds the next one's stdin), handing the lines of
     * the last command's stdout to {@code lines}; stderr goes wherever each builder redirects it.
     * Returns every command's exit code, in order.
     */
    public static int[] pipeline(List<ProcessBuilder> builders, Consumer<String> lines) {
        builders.get(0).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        List<Process> processes;
        try {
            processes = ProcessBuilder.startPipeline(builders);
        } catch (IOException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP,
                    "cannot start " + builders.get(0).command().get(0) + ": " + e.getMessage(), e);
        }
        processes.forEach(ChildProcesses::register);
        try {
            Pump pump = new Pump(processes.get(processes.size() - 1).getInputStream(), lines);
            int[] codes = new int[processes.size()];
            for (int i = 0; i < codes.length; i++) {
                codes[i] = processes.get(i).waitFor();
            }
            pump.finish();
            return codes;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            processes.forEach(ChildProcesses::killTree);
            throw cancelled(builders.get(0).command());
        } finally {
            // A failure in the reader must not leave the upstream commands blocked on a full pipe.
            for (Process p : processes) {
                if (p.isAlive()) {
                    ChildProcesses.killTree(p);
                }
                ChildProcesses.unregister(p);
            }
        }
    }

    /** A process builder with the given directory and environment changes applied. */
    public static ProcessBuilder builder(List<String> argv, Path dir, Map<String, String> env) {
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(argv));
        if (dir != null) {
            builder.directory(dir.toFile());
        }
        Map<String, String> environment = builder.environment();
        env.forEach((name, value) -> {
            if (value == null) {
                environment.remove(name);
            } else {
                environment.put(name, value);
            }
        });
        return builder;
    }

    private static Process start(ProcessBuilder builder) {
        try {
            Process process = builder.start();
            ChildProcesses.register(process);
            return process;
        } catch (IOException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP,
                    "cannot run " + builder.command().get(0) + ": " + e.getMessage(), e);
        }
    }

    /** Reads a process's output line by line on a daemon thread. */
    private static final class Pump {
        private final Thread thread;
        private volatile RuntimeException failure;

        Pump(InputStream in, Consumer<String> lines) {
            thread = new Thread(() -> {
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = reader.readLine()) != null) {
                        if (failure == null) {
                            try {
                                lines.accept(line);
                            } catch (RuntimeException e) {
                                // Keep draining: a process blocked on a full pipe would never exit.
                                failure = e;
                            }
                        }
                    }
                } catch (IOException e) {
                    failure = new UncheckedIOException(e);
                }
            }, "pyro-exec-output");
            thread.setDaemon(true);
            thread.start();
        }

        /** Waits for the output to end (the process has exited) and rethrows a reader failure. */
        void finish() throws InterruptedException {
            thread.join();
            if (failure != null) {
                throw failure;
            }
        }
    }

    private static CompletableFuture<String> readAsync(InputStream in) {
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                result.complete(readAll(in));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        }, "pyro-exec-capture");
        reader.setDaemon(true);
        reader.start();
        return result;
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static PyroException cancelled(List<String> argv) {
        return new PyroException(PyroException.Kind.CANCELLED, "interrupted while running " + argv.get(0));
    }
}
