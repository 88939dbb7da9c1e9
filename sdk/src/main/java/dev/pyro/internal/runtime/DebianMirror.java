package dev.pyro.internal.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Chooses the Debian mirror to bootstrap from: {@code PYRO_DEBIAN_MIRROR}, else the first
 * host apt source that serves the suite's main component (so a host behind a local mirror or
 * proxy keeps using it), else {@value #DEFAULT}.
 */
final class DebianMirror {
    static final String DEFAULT = "http://deb.debian.org/debian";
    /** Security updates live in their own archive, not on the regular mirrors. */
    static final String SECURITY_DEFAULT = "http://deb.debian.org/debian-security";

    private DebianMirror() {
    }

    /** The mirror for {@code suite}, reading the host's apt sources under {@code aptDir} (/etc/apt). */
    static String select(Optional<String> override, String suite, Path aptDir) {
        if (override.isPresent()) {
            return stripSlash(override.get());
        }
        return fromSources(suite, sourceFiles(aptDir)).orElse(DEFAULT);
    }

    /**
     * The mirror for an extra suite: a {@code -security} suite comes from the host's source for
     * it, else {@value #SECURITY_DEFAULT} ({@code PYRO_DEBIAN_MIRROR} names a regular mirror,
     * which does not carry it); any other suite is looked up like the base suite.
     */
    static String selectExtra(Optional<String> override, String suite, Path aptDir) {
        if (suite.endsWith("-security")) {
            return fromSources(suite, sourceFiles(aptDir)).orElse(SECURITY_DEFAULT);
        }
        return select(override, suite, aptDir);
    }

    /**
     * What mmdebstrap is given after the target: the bare mirror when there are no extra suites
     * (mmdebstrap then writes the usual one-line sources.list), else one {@code deb URI SUITE
     * COMPONENTS} line per suite.
     */
    static List<String> sources(Optional<String> override, EnvironmentRecipe.Base base, Path aptDir) {
        String main = select(override, base.suite(), aptDir);
        if (base.extraSuites().isEmpty()) {
            return List.of(main);
        }
        String components = String.join(" ", base.components());
        List<String> lines = new ArrayList<>();
        lines.add("deb " + main + " " + base.suite() + " " + components);
        for (String suite : base.extraSuites()) {
            lines.add("deb " + selectExtra(override, suite, aptDir) + " " + suite + " " + components);
        }
        return List.copyOf(lines);
    }

    /** The first {@code deb} entry (one-line or deb822 format) that has {@code suite} and main. */
    static Optional<String> fromSources(String suite, List<String> fileContents) {
        for (String content : fileContents) {
            Optional<String> found = content.contains("URIs:") ? fromDeb822(suite, content) : fromOneLine(suite, content);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    private static Optional<String> fromOneLine(String suite, String content) {
        for (String raw : content.split("\n")) {
            String line = raw.replaceAll("#.*", "").replaceAll("\\[[^]]*]", " ").strip();
            String[] fields = line.split("\\s+");
            if (fields.length >= 4 && fields[0].equals("deb") && fields[2].equals(suite)
                    && Arrays.asList(fields).subList(3, fields.length).contains("main") && isHttpOrFile(fields[1])) {
                return Optional.of(stripSlash(fields[1]));
            }
        }
        return Optional.empty();
    }

    private static Optional<String> fromDeb822(String suite, String content) {
        for (String stanza : content.split("\n\\s*\n")) {
            List<String> types = field(stanza, "Types");
            List<String> uris = field(stanza, "URIs");
            List<String> suites = field(stanza, "Suites");
            List<String> components = field(stanza, "Components");
            List<String> enabled = field(stanza, "Enabled");
            if (types.contains("deb") && suites.contains(suite) && components.contains("main")
                    && !enabled.contains("no") && !uris.isEmpty() && isHttpOrFile(uris.get(0))) {
                return Optional.of(stripSlash(uris.get(0)));
            }
        }
        return Optional.empty();
    }

    private static List<String> field(String stanza, String name) {
        for (String line : stanza.split("\n")) {
            if (line.startsWith(name + ":")) {
                String value = line.substring(name.length() + 1).strip();
                return value.isEmpty() ? List.of() : Arrays.asList(value.split("\\s+"));
            }
        }
        return List.of();
    }

    private static List<String> sourceFiles(Path aptDir) {
        List<String> contents = new ArrayList<>();
        read(aptDir.resolve("sources.list")).ifPresent(contents::add);
        Path dir = aptDir.resolve("sources.list.d");
        if (Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                files.filter(f -> f.toString().endsWith(".list") || f.toString().endsWith(".sources")).sorted()
                        .forEach(f -> read(f).ifPresent(contents::add));
            } catch (IOException e) {
                return contents;
            }
        }
        return contents;
    }

    private static Optional<String> read(Path file) {
        try {
            return Files.isRegularFile(file) ? Optional.of(Files.readString(file)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static boolean isHttpOrFile(String uri) {
        return uri.startsWith("http://") || uri.startsWith("https://") || uri.startsWith("file:/");
    }

    private static String stripSlash(String uri) {
        return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
    }
}
