package dev.pyro.internal.host;

import dev.pyro.PyroException;
import dev.pyro.ProgressEvent;
import dev.pyro.ProgressListener;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Finds the host tools a pyro step needs and, when some are missing, installs their Debian
 * packages (only as root, with apt-get, and unless {@value #NO_AUTO_INSTALL}=1), or fails with
 * one {@code apt-get install -y ...} line that lists every missing package at once.
 */
public final class HostTools {
    /** Set to 1 to never install packages, only report what is missing. */
    public static final String NO_AUTO_INSTALL = "PYRO_NO_AUTO_INSTALL";

    /** Where Debian keeps administrator tools that a non-root PATH often lacks (mke2fs, debootstrap). */
    private static final List<Path> SBIN_DIRS =
            List.of(Path.of("/usr/local/sbin"), Path.of("/usr/sbin"), Path.of("/sbin"));

    private final List<Path> searchPath;
    private final boolean autoInstall;
    private final boolean root;
    private final Path logDir;
    private final AptLists aptLists;
    /** Set once this process has refreshed the package lists: one refresh is enough. */
    private volatile boolean listsRefreshed;

    /**
     * @param searchPath directories to search for commands, in order
     * @param autoInstall whether missing packages may be installed (needs {@code root} too)
     * @param root whether this process runs as root
     * @param logDir where apt's output is logged
     * @param aptLists the age of the host's package lists (refreshed before installing when stale)
     */
    public HostTools(List<Path> searchPath, boolean autoInstall, boolean root, Path logDir, AptLists aptLists) {
        this.searchPath = List.copyOf(searchPath);
        this.autoInstall = autoInstall;
        this.root = root;
        this.logDir = logDir;
        this.aptLists = aptLists;
    }

    /**
     * Host tools for this process: PATH plus the sbin directories, root from /proc, the env switch.
     *
     * @param logDir where apt's output is logged
     * @param aptStamp where pyro notes its last {@code apt-get update}
     */
    public static HostTools fromEnvironment(Map<String, String> env, Path logDir, Path aptStamp) {
        boolean auto = !"1".equals(env.getOrDefault(NO_AUTO_INSTALL, "").trim());
        return new HostTools(searchPath(env), auto, HostInfo.isRoot(), logDir,
                AptLists.host(aptStamp));
    }

    /** Whether this process may run apt-get itself (root, apt-get present, automatic install on). */
    public boolean mayInstall() {
        return root && autoInstall && find("apt-get").isPresent() && find("apt-cache").isPresent();
    }

    /**
     * Refreshes the package lists once per process, when this process may install: for a caller
     * that found a package or version missing from the lists. Returns whether it refreshed now.
     */
    public boolean refreshPackageLists(String why, ProgressListener progress) {
        if (listsRefreshed || !mayInstall()) {
            return false;
        }
        return refresh(newApt(), why, progress);
    }

    /** The directories of {@code PATH} in {@code env}, then the sbin directories. */
    public static List<Path> searchPath(Map<String, String> env) {
        LinkedHashSet<Path> dirs = new LinkedHashSet<>();
        for (String dir : env.getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                dirs.add(Path.of(dir));
            }
        }
        dirs.addAll(SBIN_DIRS);
        return new ArrayList<>(dirs);
    }

    /** Whether this process runs as root (decides between installing and a sudo line). */
    public boolean isRoot() {
        return root;
    }

    /** The first executable file named {@code command} on the search path. */
    public Optional<Path> find(String command) {
        for (Path dir : searchPath) {
            Path candidate = dir.resolve(command);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Whether the requirement is met right now. */
    public boolean isPresent(HostRequirement requirement) {
        return switch (requirement.kind()) {
            case TOOL -> find(requirement.name()).isPresent();
            case FILE -> Files.exists(Path.of(requirement.name()));
        };
    }

    /**
     * Makes sure every requirement is met, installing missing packages when allowed.
     *
     * @return the path of each requirement by name (the command's path, or the file itself)
     * @throws PyroException HOST_SETUP naming every missing package in one install line
     */
    public Map<String, Path> ensure(List<HostRequirement> requirements, ProgressListener progress) {
        List<HostRequirement> missing = missing(requirements);
        if (!missing.isEmpty()) {
            install(missing, progress);
        }
        Map<String, Path> paths = new LinkedHashMap<>();
        for (HostRequirement requirement : requirements) {
            paths.put(requirement.name(), requirement.kind() == HostRequirement.Kind.TOOL
                    ? find(requirement.name()).orElseThrow()
                    : Path.of(requirement.name()));
        }
        return paths;
    }

    /** The path of a command that {@link #ensure} has checked, or HOST_SETUP if it vanished. */
    public Path tool(String command) {
        return find(command).orElseThrow(() -> {
            HostRequirement requirement = HostRequirements.forTool(command)
                    .orElse(HostRequirement.tool(command, command));
            return new PyroException(PyroException.Kind.HOST_SETUP, missingMessage(List.of(requirement), ""));
        });
    }

    /** The requirements that are not met, in the given order. */
    public List<HostRequirement> missing(List<HostRequirement> requirements) {
        return requirements.stream().distinct().filter(r -> !isPresent(r)).collect(Collectors.toList());
    }

    private void install(List<HostRequirement> missing, ProgressListener progress) {
        if (find("apt-get").isEmpty() || find("apt-cache").isEmpty()) {
            if (java.nio.file.Files.exists(Path.of("/etc/debian_version"))) {
                // A Debian host whose PATH hides apt-get: the install line still is the fix.
                throw new PyroException(PyroException.Kind.HOST_SETUP, missingMessage(missing, ""));
            }
            throw new PyroException(PyroException.Kind.HOST_SETUP, "missing host tools: " + names(missing)
                    + "; install the packages that provide them (Debian: " + packageList(missing) + ")");
        }
        if (!autoInstall) {
            throw new PyroException(PyroException.Kind.HOST_SETUP,
                    missingMessage(missing, " (automatic install is off: " + NO_AUTO_INSTALL + "=1)"));
        }
        if (!root) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, missingMessage(missing, ""));
        }
        List<String> packages = new ArrayList<>(new TreeSet<>(packages(missing)));
        Apt apt = newApt();
        progress.onProgress(ProgressEvent.of("host-setup",
                "installing missing host packages: " + String.join(" ", packages)));
        boolean updated = false;
        if (!listsRefreshed && aptLists.stale()) {
            updated = refresh(apt, "the package lists are " + aptLists.age().toDays() + " days old", progress);
        }
        List<String> unknown = packages.stream().filter(p -> !apt.knows(p)).collect(Collectors.toList());
        if (!unknown.isEmpty() && !updated) {
            updated = refresh(apt, "apt does not know " + String.join(", ", unknown), progress);
            unknown = unknown.stream().filter(p -> !apt.knows(p)).collect(Collectors.toList());
        }
        if (!unknown.isEmpty()) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "apt knows no package "
                    + String.join(", ", unknown) + " (needed for " + names(missingFor(missing, unknown))
                    + "); add a Debian mirror that has it to /etc/apt/sources.list.d and run: apt-get update");
        }
        boolean installed = apt.install(packages, progress);
        if (!installed && !updated && refresh(apt, "the install failed", progress)) {
            // Lists a few hours old can still name .deb files the mirror has replaced since.
            progress.onProgress(ProgressEvent.of("host-setup", "retrying the install with fresh package lists"));
            installed = apt.install(packages, progress);
        }
        if (!installed) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "apt-get install -y " + String.join(" ", packages)
                    + " failed (log: " + apt.log() + "); run it by hand to see why");
        }
        List<HostRequirement> still = missing(missing);
        if (!still.isEmpty()) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "installed " + String.join(" ", packages)
                    + " but still missing: " + names(still) + "; check PATH and the packages' contents");
        }
        progress.onProgress(ProgressEvent.of("host-setup", "installed " + String.join(" ", packages)));
    }

    private Apt newApt() {
        Path log = logDir.resolve("host-setup-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".log");
        return new Apt(find("apt-get").orElseThrow(), find("apt-cache").orElseThrow(), log);
    }

    private boolean refresh(Apt apt, String why, ProgressListener progress) {
        progress.onProgress(ProgressEvent.of("host-setup", "refreshing the package lists (" + why + ")"));
        boolean ok = apt.update(progress);
        if (ok) {
            listsRefreshed = true;
            aptLists.markUpdated();
        }
        return ok;
    }

    private String missingMessage(List<HostRequirement> missing, String why) {
        String sudo = root ? "" : "sudo ";
        return "missing host tools: " + names(missing) + why + "; install them with: " + sudo
                + "apt-get install -y " + packageList(missing);
    }

    private static List<HostRequirement> missingFor(List<HostRequirement> missing, List<String> packages) {
        return missing.stream().filter(r -> packages.contains(r.debianPackage())).collect(Collectors.toList());
    }

    private static String names(List<HostRequirement> requirements) {
        return requirements.stream().map(HostRequirement::name).collect(Collectors.joining(", "));
    }

    private static List<String> packages(List<HostRequirement> requirements) {
        return requirements.stream().map(HostRequirement::debianPackage).collect(Collectors.toList());
    }

    private static String packageList(List<HostRequirement> requirements) {
        return String.join(" ", new TreeSet<>(packages(requirements)));
    }
}
