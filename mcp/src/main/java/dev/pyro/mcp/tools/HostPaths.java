package dev.pyro.mcp.tools;

import dev.pyro.HostAccess;
import dev.pyro.mcp.Arguments;
import dev.pyro.mcp.ToolError;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Host paths given by a model, parsed only: a leading {@code ~/} means the user's home. Where a
 * relative path resolves and whether the path may be used at all is the SDK's decision (the
 * instance's {@link HostAccess}: the project and the operator's {@code --allow-path} roots).
 */
final class HostPaths {
    private HostPaths() {
    }

    static Optional<Path> optional(Arguments args, String name) {
        return args.optionalString(name, "/home/me/project").map(s -> parse(name, s));
    }

    static Path required(Arguments args, String name) {
        return parse(name, args.requiredString(name, "/home/me/project"));
    }

    static Path parse(String name, String raw) {
        String s = raw.equals("~") ? System.getProperty("user.home")
                : raw.startsWith("~/") ? System.getProperty("user.home") + raw.substring(1) : raw;
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            throw new ToolError(name, "argument '" + name + "' is not a valid host path: " + e.getReason()
                    + "; pass a path such as \"src\" or \"/home/me/project/src\"");
        }
    }

    /** For a path argument's description: where relative paths resolve and which paths are allowed. */
    static String describe(HostAccess access) {
        String rel = "Relative paths are resolved against " + access.base() + "; ~/ means the home directory.";
        if (!access.isConfined()) {
            return rel;
        }
        return rel + " Only paths under the allowed roots are accepted: " + access.roots().stream()
                .map(Path::toString).collect(Collectors.joining(", ")) + " (symlinks leading out of them are refused).";
    }
}
