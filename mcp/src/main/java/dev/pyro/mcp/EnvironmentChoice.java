package dev.pyro.mcp;

import dev.pyro.EnvironmentInfo;
import java.util.List;

/**
 * An environment as tool schemas mention it, so that a model sees the valid values (and which
 * one is the default) without a round trip.
 *
 * @param name e.g. {@code debian:12}
 * @param description one line on what it is for
 * @param isDefault whether it is {@code Pyro.DEFAULT_ENVIRONMENT}
 */
public record EnvironmentChoice(String name, String description, boolean isDefault) {
    public static List<EnvironmentChoice> of(List<EnvironmentInfo> catalog) {
        return catalog.stream().map(e -> new EnvironmentChoice(e.name(), e.description(), e.isDefault())).toList();
    }

    /** "debian:12 (default): Debian 12 with Git; debian:12-base: minimal", for a schema description. */
    public static String describe(List<EnvironmentChoice> choices) {
        return String.join("; ", choices.stream()
                .map(c -> c.name() + (c.isDefault() ? " (the default)" : "")
                        + (c.description() == null || c.description().isBlank() ? "" : ": " + c.description()))
                .toList());
    }
}
