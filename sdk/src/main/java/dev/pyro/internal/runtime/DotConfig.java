package dev.pyro.internal.runtime;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A kernel {@code .config} as written by Kconfig: {@code CONFIG_X=value} lines and
 * {@code # CONFIG_X is not set} comments.
 *
 * @param values option name (without {@code CONFIG_}) to its value, exactly as written
 */
public record DotConfig(Map<String, String> values) {
    private static final Pattern SET = Pattern.compile("CONFIG_([A-Za-z0-9_]+)=(.*)");
    private static final Pattern UNSET = Pattern.compile("# CONFIG_([A-Za-z0-9_]+) is not set");

    public static DotConfig parse(String text) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            Matcher set = SET.matcher(line);
            if (set.matches()) {
                values.put(set.group(1), set.group(2));
                continue;
            }
            Matcher unset = UNSET.matcher(line);
            if (unset.matches()) {
                values.put(unset.group(1), "n");
            }
        }
        return new DotConfig(Map.copyOf(values));
    }

    /** The option's value, {@code "n"} when it is not set or absent. */
    public String value(String name) {
        return values.getOrDefault(name, "n");
    }
}
