package dev.pyro.mcp.tools;

import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolError;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Host paths given by a model. A model does not know the server's working directory, so a
 * leading {@code ~/} means the user's home and a relative path is resolved against the
 * directory the server was started in (the project, for a chat host), then made absolute.
 */
final class HostPaths {
    private HostPaths() {
    }

    static Optional<Path> optional(Arguments args, String name) {
        return args.optionalString(name, "/home/me/project").map(s -> resolve(name, s));
    }

    static Path required(Arguments args, String name) {
        return resolve(name, args.requiredString(name, "/home/me/project"));
    }

    static Path resolve(String name, String raw) {
        String s = raw.equals("~") ? System.getProperty("user.home")
                : raw.startsWith("~/") ? System.getProperty("user.home") + raw.substring(1) : raw;
        try {
            return Path.of(s).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new ToolError(name, "argument '" + name + "' is not a valid host path: " + e.getReason()
                    + "; pass an absolute path such as \"/home/me/project\"");
        }
    }

    /** The one working directory relative paths are resolved against, for descriptions. */
    static String base() {
        return Path.of("").toAbsolutePath().toString();
    }
}
