package dev.pyro;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What the callers of one {@link Pyro} instance may reach on the host through pyro itself:
 * host paths (workspace seeds, sync sources, export outputs) and host execution (host-compat,
 * which runs commands on the host without isolation).
 *
 * <p>The SDK and the CLI act for the person who typed the request, so the default,
 * {@link #unrestricted()}, lets a request name any path and ask for host-compat. A front-end
 * that acts for a model ({@code pyro mcp serve}) confines it with {@link #confined(Path)}:
 * host paths are read and written only under the allowed roots (symlinks are followed only
 * while they stay inside them), and nothing runs on the host unless the operator enabled
 * host-compat. A refusal is a {@link HostAccessDeniedException}. docs/security.md lists the doors.
 */
public final class HostAccess {
    /** The doors a {@link HostAccess} keeps. */
    public enum Door {
        /** Running commands on the host without isolation (host-compat). */
        HOST_EXECUTION,
        /** Reading or writing host paths. */
        HOST_PATHS
    }

    private static final HostAccess UNRESTRICTED = new HostAccess(Optional.empty(), List.of(), true);

    private final Optional<Path> project;
    private final List<Path> roots;
    private final boolean hostCompat;

    private HostAccess(Optional<Path> project, List<Path> roots, boolean hostCompat) {
        this.project = project;
        this.roots = roots;
        this.hostCompat = hostCompat;
    }

    /** Any host path, and host-compat when a request asks for it: the SDK's and the CLI's default. */
    public static HostAccess unrestricted() {
        return UNRESTRICTED;
    }

    /**
     * Host paths only under {@code project} (where relative paths resolve) and the roots added
     * with {@link Builder#allowPath}; host-compat only with {@link Builder#allowHostCompat}.
     */
    public static Builder confined(Path project) {
        return new Builder(project);
    }

    /** True unless {@link #unrestricted()}. */
    public boolean isConfined() {
        return project.isPresent();
    }

    /** The allowed roots as real paths (no symlinks), the project first; empty when unrestricted. */
    public List<Path> roots() {
        return roots;
    }

    /** The directory relative host paths resolve against: the project, or this process's working directory. */
    public Path base() {
        return project.orElseGet(() -> Path.of("").toAbsolutePath());
    }

    /** Whether a request may run commands on the host without isolation (when it asks to). */
    public boolean hostCompatAllowed() {
        return hostCompat;
    }

    @Override
    public String toString() {
        return isConfined() ? "confined to " + roots + (hostCompat ? ", host-compat allowed" : "") : "unrestricted";
    }

    /** Builds a confined {@link HostAccess}. */
    public static final class Builder {
        private final Path project;
        private final List<Path> more = new ArrayList<>();
        private boolean hostCompat;

        private Builder(Path project) {
            this.project = Objects.requireNonNull(project, "project");
        }

        /** Another directory whose contents may be read and written. */
        public Builder allowPath(Path directory) {
            more.add(Objects.requireNonNull(directory, "directory"));
            return this;
        }

        /** Lets requests that ask for host-compat run on the host, without isolation (default: refused). */
        public Builder allowHostCompat(boolean allowed) {
            this.hostCompat = allowed;
            return this;
        }

        /**
         * @throws PyroException INVALID_ARGUMENT when a root is not an existing directory
         */
        public HostAccess build() {
            Path realProject = real(project);
            Set<Path> roots = new LinkedHashSet<>();
            roots.add(realProject);
            for (Path p : more) {
                roots.add(real(p.isAbsolute() ? p : realProject.resolve(p)));
            }
            return new HostAccess(Optional.of(realProject), List.copyOf(roots), hostCompat);
        }

        /** Roots are kept as real paths: the walk that checks a path compares real locations. */
        private static Path real(Path dir) {
            Path abs = dir.toAbsolutePath().normalize();
            try {
                Path r = abs.toRealPath();
                if (!Files.isDirectory(r)) {
                    throw PyroException.invalidArgument("allowed root " + abs + " is not a directory; name a directory");
                }
                return r;
            } catch (IOException e) {
                throw PyroException.invalidArgument("allowed root " + abs + " does not exist or cannot be read ("
                        + e.getClass().getSimpleName() + "); name an existing directory");
            }
        }
    }
}
