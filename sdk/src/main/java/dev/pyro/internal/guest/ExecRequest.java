package dev.pyro.internal.guest;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A command for the guest agent (the payload of an {@code EXEC} frame). Arguments, environment
 * entries and the directory are byte strings: Linux does not require them to be UTF-8. The
 * {@code String} factories encode as UTF-8.
 *
 * @param argv the program and its arguments; {@code argv[0]} is looked up in the guest's PATH
 * @param env {@code NAME=value} entries that override and extend the agent's default environment
 * @param cwd working directory; empty means {@code /}
 * @param timeout the guest kills the command's process tree after this long and reports exit
 *     code 124; {@link Duration#ZERO} means no timeout
 * @param stdin true if the command reads input the host sends (otherwise its stdin is /dev/null)
 */
public record ExecRequest(List<byte[]> argv, List<byte[]> env, byte[] cwd, Duration timeout, boolean stdin) {
    public ExecRequest {
        argv = List.copyOf(argv);
        env = List.copyOf(env);
        Objects.requireNonNull(cwd, "cwd");
        Objects.requireNonNull(timeout, "timeout");
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv must name a program");
        }
        if (timeout.isNegative() || timeout.toMillis() > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("timeout must be between 0 and 2^32-1 ms");
        }
    }

    /** Runs {@code argv} in {@code /} with the default environment, no timeout and no input. */
    public static ExecRequest of(String... argv) {
        return of(List.of(argv));
    }

    public static ExecRequest of(List<String> argv) {
        return new ExecRequest(utf8(argv), List.of(), new byte[0], Duration.ZERO, false);
    }

    public ExecRequest withEnv(Map<String, String> variables) {
        List<byte[]> entries = new ArrayList<>();
        variables.forEach((k, v) -> entries.add((k + "=" + v).getBytes(StandardCharsets.UTF_8)));
        return new ExecRequest(argv, entries, cwd, timeout, stdin);
    }

    public ExecRequest withCwd(String dir) {
        return new ExecRequest(argv, env, dir.getBytes(StandardCharsets.UTF_8), timeout, stdin);
    }

    public ExecRequest withTimeout(Duration limit) {
        return new ExecRequest(argv, env, cwd, limit, stdin);
    }

    public ExecRequest withStdin(boolean reads) {
        return new ExecRequest(argv, env, cwd, timeout, reads);
    }

    /** argv[0] as text, for messages. */
    public String program() {
        return new String(argv.get(0), StandardCharsets.UTF_8);
    }

    Frame.Exec toFrame(int channel) {
        int flags = stdin ? Frame.Exec.FLAG_STDIN : 0;
        return new Frame.Exec(channel, flags, (int) timeout.toMillis(), cwd, argv, env);
    }

    private static List<byte[]> utf8(List<String> items) {
        List<byte[]> out = new ArrayList<>(items.size());
        for (String item : items) {
            out.add(item.getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }
}
