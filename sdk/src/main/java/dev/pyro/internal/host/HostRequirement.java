package dev.pyro.internal.host;

import java.util.Objects;

/**
 * Something a pyro step needs from the host, and the Debian package that provides it.
 *
 * @param name what to look for: a command name ({@link Kind#TOOL}) or an absolute file path
 *     ({@link Kind#FILE}, e.g. a header such as {@code /usr/include/gelf.h})
 * @param debianPackage the Debian package that provides it
 * @param kind whether {@code name} is a command or a file
 */
public record HostRequirement(String name, String debianPackage, Kind kind) {
    /** How a requirement is probed. */
    public enum Kind {
        /** A command found on PATH (or in the sbin directories). */
        TOOL,
        /** A file at an absolute path. */
        FILE
    }

    public HostRequirement {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(debianPackage, "debianPackage");
        Objects.requireNonNull(kind, "kind");
        if (kind == Kind.FILE && !name.startsWith("/")) {
            throw new IllegalArgumentException("a file requirement needs an absolute path: " + name);
        }
    }

    /** A command provided by the given Debian package. */
    public static HostRequirement tool(String command, String debianPackage) {
        return new HostRequirement(command, debianPackage, Kind.TOOL);
    }

    /** A file (typically a header) provided by the given Debian package. */
    public static HostRequirement file(String absolutePath, String debianPackage) {
        return new HostRequirement(absolutePath, debianPackage, Kind.FILE);
    }
}
