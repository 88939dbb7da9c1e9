package dev.pyro.internal.runtime;

import dev.pyro.PyroException;
import dev.pyro.internal.host.Exec;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Runs build steps into a {@link BuildLog}, turning a failure into a one-line BUILD_FAILED. */
final class BuildCommands {
    /**
     * Variables of an enclosing build (a Makefile that runs pyro) or of the user's shell that
     * would change what the kernel or agent build does; they are removed.
     */
    private static final List<String> LEAKY = List.of("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEFILES", "ARCH",
            "CROSS_COMPILE", "KBUILD_OUTPUT", "KCONFIG_CONFIG", "O", "CC", "CFLAGS", "LDFLAGS", "GREP_OPTIONS");

    private BuildCommands() {
    }

    /** A clean build environment: LC_ALL=C, the leaky variables removed, then {@code extra} applied. */
    static Map<String, String> environment(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>();
        LEAKY.forEach(name -> env.put(name, null));
        env.put("LC_ALL", "C");
        env.putAll(extra);
        return env;
    }

    /**
     * Runs one step, logging its output and handing each line to {@code onLine}.
     *
     * @param what the step for the error message, e.g. "kernel build failed while compiling"
     * @throws PyroException BUILD_FAILED quoting the step's last error line and naming the log
     */
    static void run(String what, List<String> argv, Path dir, Map<String, String> env, BuildLog log,
            Consumer<String> onLine) {
        log.command(argv);
        int code = Exec.stream(Exec.builder(argv, dir, env), line -> {
            log.line(line);
            onLine.accept(line);
        });
        if (code != 0) {
            log.line("exit code " + code);
            throw failed(what, log);
        }
    }

    /** The BUILD_FAILED error for a step that failed, quoting the log. */
    static PyroException failed(String what, BuildLog log) {
        String last = log.lastError();
        return new PyroException(PyroException.Kind.BUILD_FAILED,
                what + (last.isEmpty() ? "" : ": " + last) + " (log: " + log.file() + ")");
    }
}
