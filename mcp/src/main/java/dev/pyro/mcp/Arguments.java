package dev.pyro.mcp;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The arguments of one tool call, read with the checks a model needs to fix its call: every
 * problem is a {@link ToolError} naming the argument, what was expected and an example.
 * JSON {@code null} counts as absent (models often send it for optional arguments).
 * Value ranges are left to the SDK, whose messages already use these snake_case names.
 */
public final class Arguments {
    private final String tool;
    private final Map<String, Object> values;

    private Arguments(String tool, Map<String, Object> values) {
        this.tool = tool;
        this.values = values;
    }

    /**
     * Wraps a call's arguments, refusing names the tool does not take (a misspelt optional
     * argument would otherwise be silently ignored).
     *
     * @param known the argument names the tool takes
     */
    public static Arguments of(String tool, Map<String, Object> raw, Set<String> known) {
        Map<String, Object> values = raw == null ? Map.of() : raw;
        for (String name : values.keySet()) {
            if (!known.contains(name)) {
                throw new ToolError(name, "unknown argument '" + name + "' for " + tool + "; it takes: "
                        + String.join(", ", new TreeSet<>(known)));
            }
        }
        return new Arguments(tool, values);
    }

    public boolean has(String name) {
        return values.get(name) != null;
    }

    /** A required string; empty or blank is refused. */
    public String requiredString(String name, String example) {
        Object v = values.get(name);
        if (v == null) {
            throw new ToolError(name, "missing required argument '" + name + "' for " + tool
                    + "; pass it as a string, e.g. \"" + example + "\"");
        }
        if (!(v instanceof String s)) {
            throw new ToolError(name, "argument '" + name + "' must be a string, e.g. \"" + example + "\"; got "
                    + describe(v));
        }
        if (s.isBlank()) {
            throw new ToolError(name, "argument '" + name + "' is empty; pass e.g. \"" + example + "\"");
        }
        return s;
    }

    /** An optional string. */
    public Optional<String> optionalString(String name, String example) {
        return has(name) ? Optional.of(requiredString(name, example)) : Optional.empty();
    }

    /**
     * An optional integer. Integral JSON numbers are accepted in any notation ({@code 30},
     * {@code 30.0}); strings, fractions and booleans are refused.
     */
    public int integer(String name, int defaultValue, String unit) {
        Object v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        String expected = "argument '" + name + "' must be an integer (" + unit + "), e.g. " + defaultValue;
        if (!(v instanceof Number n)) {
            throw new ToolError(name, expected + "; got " + describe(v));
        }
        BigDecimal d;
        try {
            d = n instanceof BigDecimal b ? b : n instanceof BigInteger i ? new BigDecimal(i) : new BigDecimal(n.toString());
        } catch (NumberFormatException e) { // NaN or infinity
            throw new ToolError(name, expected + "; got " + n);
        }
        BigInteger whole;
        try {
            whole = d.toBigIntegerExact();
        } catch (ArithmeticException e) {
            throw new ToolError(name, expected + "; got the fraction " + d.toPlainString());
        }
        if (whole.bitLength() > 31) {
            throw new ToolError(name, "argument '" + name + "' is out of range (" + whole + "); use e.g. " + defaultValue);
        }
        return whole.intValue();
    }

    /** An optional array of strings (empty when absent). */
    public List<String> stringList(String name, String example) {
        Object v = values.get(name);
        if (v == null) {
            return List.of();
        }
        String fix = "pass an array of strings, e.g. [\"" + example + "\"]";
        if (!(v instanceof List<?> list)) {
            throw new ToolError(name, "argument '" + name + "' must be an array of strings; " + fix + "; got "
                    + describe(v));
        }
        List<String> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String s)) {
                throw new ToolError(name, "argument '" + name + "' must contain only strings; element " + i + " is "
                        + describe(list.get(i)) + "; " + fix);
            }
            out.add(s);
        }
        return out;
    }

    /** An optional array of integers (empty when absent); fractions and strings are refused. */
    public List<Integer> integerList(String name, int example) {
        Object v = values.get(name);
        if (v == null) {
            return List.of();
        }
        String fix = "pass an array of integers, e.g. [" + example + "]";
        if (!(v instanceof List<?> list)) {
            throw new ToolError(name, "argument '" + name + "' must be an array of integers; " + fix + "; got "
                    + describe(v));
        }
        List<Integer> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            Object e = list.get(i);
            BigDecimal d = null;
            if (e instanceof Number n) {
                try {
                    d = n instanceof BigDecimal b ? b : n instanceof BigInteger bi ? new BigDecimal(bi)
                            : new BigDecimal(n.toString());
                } catch (NumberFormatException nan) {
                    d = null;
                }
            }
            BigInteger whole = null;
            if (d != null) {
                try {
                    whole = d.toBigIntegerExact();
                } catch (ArithmeticException fraction) {
                    whole = null;
                }
            }
            if (whole == null || whole.bitLength() > 31) {
                throw new ToolError(name, "argument '" + name + "' must contain only integers; element " + i + " is "
                        + describe(e) + "; " + fix);
            }
            out.add(whole.intValue());
        }
        return out;
    }

    /** An optional boolean; {@code "true"} as a string is refused like any other non-boolean. */
    public boolean bool(String name, boolean defaultValue) {
        Object v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        if (!(v instanceof Boolean b)) {
            throw new ToolError(name, "argument '" + name + "' must be true or false; got " + describe(v));
        }
        return b;
    }

    /**
     * A command: a string is a shell command line, run as {@code sh -lc STRING} in the guest
     * (so pipes, {@code &&}, globs and variables work); an array of strings is an exact argv,
     * run without a shell.
     */
    public List<String> command(String name) {
        Object v = values.get(name);
        String fix = "pass a shell command line as a string, e.g. \"uname -a\", or an exact argv as an array of"
                + " strings, e.g. [\"uname\", \"-a\"]";
        if (v == null) {
            throw new ToolError(name, "missing required argument '" + name + "' for " + tool + "; " + fix);
        }
        if (v instanceof String s) {
            if (s.isBlank()) {
                throw new ToolError(name, "argument '" + name + "' is empty; " + fix);
            }
            return List.of("sh", "-lc", s);
        }
        if (v instanceof List<?> list) {
            if (list.isEmpty()) {
                throw new ToolError(name, "argument '" + name + "' is an empty array; " + fix);
            }
            List<String> argv = new ArrayList<>(list.size());
            for (int i = 0; i < list.size(); i++) {
                if (!(list.get(i) instanceof String s)) {
                    throw new ToolError(name, "argument '" + name + "' must contain only strings; element " + i
                            + " is " + describe(list.get(i)) + "; " + fix);
                }
                argv.add(s);
            }
            if (argv.get(0).isEmpty()) {
                throw new ToolError(name, "argument '" + name + "' starts with an empty program name; " + fix);
            }
            return argv;
        }
        throw new ToolError(name, "argument '" + name + "' must be a string or an array of strings; got "
                + describe(v) + "; " + fix);
    }

    /** How a JSON value looks, for error messages: type and a short rendering. */
    static String describe(Object v) {
        String shown = String.valueOf(v);
        if (shown.length() > 40) {
            shown = shown.substring(0, 37) + "...";
        }
        if (v instanceof String) {
            return "the string \"" + shown + "\"";
        }
        if (v instanceof Boolean) {
            return "the boolean " + shown;
        }
        if (v instanceof Number) {
            return "the number " + shown;
        }
        if (v instanceof List) {
            return "an array";
        }
        if (v instanceof Map) {
            return "an object";
        }
        return "null";
    }
}
