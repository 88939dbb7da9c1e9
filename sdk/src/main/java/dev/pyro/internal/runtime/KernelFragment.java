package dev.pyro.internal.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel config fragment ({@code kernel/microvm.config}) applied on top of
 * {@code make allnoconfig}: options set to {@code y}, {@code n}, a quoted string or a number.
 * Modules ({@code m}) are refused: the guest kernel has no module loading.
 *
 * @param text the fragment as tracked (its SHA-256 is part of the kernel's key)
 * @param options the options in file order, by name without the {@code CONFIG_} prefix
 */
public record KernelFragment(String text, Map<String, String> options) {
    private static final Pattern SET = Pattern.compile("CONFIG_([A-Za-z0-9_]+)=(.*)");
    private static final Pattern UNSET = Pattern.compile("#\\s*CONFIG_([A-Za-z0-9_]+) is not set");
    private static final Pattern VALUE = Pattern.compile("y|n|\"([^\"\\\\]|\\\\.)*\"|-?[0-9]+|0x[0-9a-fA-F]+");

    public KernelFragment {
        options = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    /** Parses a fragment; malformed lines are errors naming their line number. */
    public static KernelFragment parse(String text) {
        Map<String, String> options = new LinkedHashMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            Matcher unset = UNSET.matcher(line);
            if (unset.matches()) {
                put(options, unset.group(1), "n", i + 1);
                continue;
            }
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher set = SET.matcher(line);
            if (!set.matches()) {
                throw new IllegalArgumentException("microvm.config line " + (i + 1) + ": not CONFIG_NAME=value: " + line);
            }
            String value = set.group(2);
            if (value.equals("m")) {
                throw new IllegalArgumentException("microvm.config line " + (i + 1)
                        + ": CONFIG_" + set.group(1) + "=m: the guest kernel has no modules; use y");
            }
            if (!VALUE.matcher(value).matches()) {
                throw new IllegalArgumentException("microvm.config line " + (i + 1) + ": bad value: " + line);
            }
            put(options, set.group(1), value, i + 1);
        }
        if (options.isEmpty()) {
            throw new IllegalArgumentException("microvm.config sets no options");
        }
        return new KernelFragment(text, options);
    }

    /** The fragment's SHA-256. */
    public String sha256() {
        return Hashes.sha256(text);
    }

    /**
     * The {@code scripts/config} arguments that apply the fragment to a .config
     * ({@code -e NAME}, {@code -d NAME}, {@code --set-str NAME value}, {@code --set-val NAME n}).
     */
    public List<String> scriptsConfigArgs() {
        List<String> args = new ArrayList<>();
        options.forEach((name, value) -> {
            if (value.equals("y")) {
                args.addAll(List.of("-e", name));
            } else if (value.equals("n")) {
                args.addAll(List.of("-d", name));
            } else if (value.startsWith("\"")) {
                args.addAll(List.of("--set-str", name, unquote(value)));
            } else {
                args.addAll(List.of("--set-val", name, value));
            }
        });
        return args;
    }

    /**
     * The options whose value did not survive {@code make olddefconfig} (typically because a
     * dependency is off), each as {@code CONFIG_X (wanted y, got not set)}; empty when all stuck.
     */
    public List<String> verify(DotConfig config) {
        List<String> problems = new ArrayList<>();
        options.forEach((name, wanted) -> {
            String actual = config.value(name);
            boolean ok = wanted.equals("n") ? actual.equals("n") : wanted.equals(actual);
            if (!ok) {
                problems.add("CONFIG_" + name + " (wanted " + wanted + ", got "
                        + (actual.equals("n") ? "not set" : actual) + ")");
            }
        });
        return problems;
    }

    private static void put(Map<String, String> options, String name, String value, int line) {
        String previous = options.put(name, value);
        if (previous != null && !previous.equals(value)) {
            throw new IllegalArgumentException("microvm.config line " + line + ": CONFIG_" + name
                    + " is set twice (" + previous + " and " + value + ")");
        }
    }

    private static String unquote(String quoted) {
        return quoted.substring(1, quoted.length() - 1).replaceAll("\\\\(.)", "$1");
    }
}
