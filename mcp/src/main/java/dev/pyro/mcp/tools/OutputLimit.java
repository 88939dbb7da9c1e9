package dev.pyro.mcp.tools;

import static dev.pyro.mcp.Schemas.*;

import dev.pyro.OutputListener;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolError;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code max_output_bytes}, the argument of every tool that returns a command's output
 * ({@code vm_run}, {@code vm_exec}, {@code workspace_exec}): how many bytes of each of stdout
 * and stderr the result keeps. The rest is cut from the end (tail truncation) and the result
 * says how much: {@code stdout_cut_bytes}, {@code stderr_cut_bytes}.
 *
 * <p>Why these numbers: the MCP Java SDK reads messages of at most 16 MiB (its stdio and HTTP
 * transports, and its clients), and a result carries its JSON twice (structuredContent and a
 * text copy, {@link dev.pyro.mcp.ToolResults}). An output byte costs up to 6 bytes of JSON
 * ({@code \u0001}) plus 1.33 of base64 when the output is not UTF-8, 7 in the text copy (its
 * backslashes are escaped again): about 16 bytes for both copies. The default of 256 KiB per
 * stream therefore fits twice, whatever the bytes (2 streams x 16 x 256 KiB = 8 MiB); the
 * maximum of 1 MiB fits once (2 x 7.33 x 1 MiB = 14.7 MiB), and a result that large is not
 * copied into the text block ({@link dev.pyro.mcp.ToolResults#success}). The server's memory
 * per call is bounded by it too (with the bounded call pool, by a few times
 * {@value #MAX} x the pool's size).
 */
public final class OutputLimit {
    /** Bytes of each stream kept by default. */
    public static final int DEFAULT = 256 * 1024;
    /** The most a caller may ask for. */
    public static final int MAX = 1024 * 1024;
    static final String NAME = "max_output_bytes";

    private OutputLimit() {
    }

    /** The argument's schema. */
    static Map<String, Object> property() {
        Map<String, Object> p = integer("Bytes of each of stdout and stderr to return, at most " + MAX + ". Output"
                + " beyond it is cut from the end; stdout_cut_bytes and stderr_cut_bytes say how much. Default "
                + DEFAULT + ".", 0, DEFAULT);
        p.put("maximum", MAX);
        return p;
    }

    /** The argument's value, checked. */
    static int of(Arguments args) {
        int n = args.integer(NAME, DEFAULT, "bytes");
        if (n < 0 || n > MAX) {
            throw new ToolError(NAME, NAME + " must be between 0 and " + MAX + " (the most one MCP message can carry "
                    + "for both streams); got " + n);
        }
        return n;
    }

    /** Counts every output byte a command produced, kept or not. */
    static final class Counter implements OutputListener {
        private final AtomicLong stdout = new AtomicLong();
        private final AtomicLong stderr = new AtomicLong();

        @Override
        public void onStdout(byte[] data, int offset, int length) {
            stdout.addAndGet(length);
        }

        @Override
        public void onStderr(byte[] data, int offset, int length) {
            stderr.addAndGet(length);
        }

        /**
         * Adds {@code stdout_cut_bytes} and {@code stderr_cut_bytes} (what was produced beyond
         * what the result keeps) to a result's JSON.
         */
        Map<String, Object> annotate(Map<String, Object> json, byte[] keptStdout, byte[] keptStderr) {
            json.put("stdout_cut_bytes", Math.max(0, stdout.get() - keptStdout.length));
            json.put("stderr_cut_bytes", Math.max(0, stderr.get() - keptStderr.length));
            return json;
        }
    }

    /** The result fields this adds to a command's or run's output schema. */
    static Object[] schemaFields() {
        return new Object[] {
            "stdout_cut_bytes", integer("Bytes of stdout cut from the end (over max_output_bytes); 0 when none."),
            "stderr_cut_bytes", integer("Bytes of stderr cut from the end (over max_output_bytes); 0 when none.")};
    }
}
