package dev.pyro.internal.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One environment recipe: a directory {@code environments/<dir>/} holding
 * {@code environment.json} and a package list. Adding an environment (say {@code debian:12}
 * with git, ca-certificates and curl) is adding such a directory; no code changes.
 *
 * @param name the stable environment name users type, e.g. {@code debian:12-base}
 * @param description one line for listings
 * @param version the recipe's own version, bumped when its meaning changes
 * @param directory the recipe directory's name, also used for cache directories
 * @param base how the Debian tree is bootstrapped (its inputs key the cached base tree)
 * @param image what is changed in the tree before it is packed into the ext4 image
 */
public record EnvironmentRecipe(
        String name, String description, String version, String directory, Base base, Image image) {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]*(:[a-z0-9][a-z0-9._-]*)?");
    private static final Pattern TOKEN = Pattern.compile("[a-z0-9][a-z0-9._-]*");
    /** Debian package names (policy 5.6.1), optionally with an architecture or version pin. */
    private static final Pattern PACKAGE = Pattern.compile("[a-z0-9][a-z0-9+.-]+(:[a-z0-9]+)?(=[A-Za-z0-9.+~:-]+)?");
    private static final Pattern GLOB_PATH = Pattern.compile("/[A-Za-z0-9._*+@/-]*");
    private static final List<String> VARIANTS =
            List.of("essential", "apt", "required", "minbase", "buildd", "important", "standard");

    /**
     * The bootstrap inputs.
     *
     * @param distribution only {@code debian} so far
     * @param suite Debian suite, e.g. {@code bookworm}
     * @param variant mmdebstrap variant, e.g. {@code minbase}
     * @param components archive components, e.g. {@code [main]}
     * @param packages packages installed on top of the variant (from the package list file)
     * @param dpkgPathExclude paths dpkg never installs (docs, man pages), also inside the guest
     * @param dpkgPathInclude exceptions to {@code dpkgPathExclude} (copyright files)
     * @param hooks mmdebstrap hook directories under /usr/share/mmdebstrap/hooks to run
     * @param extraSuites further suites apt may install from, with the same components, e.g.
     *     {@code bookworm-updates} and {@code bookworm-security}: without them the image holds
     *     the point release's versions and misses security fixes (openssl, curl, git)
     */
    public record Base(
            String distribution,
            String suite,
            String variant,
            List<String> components,
            List<String> packages,
            List<String> dpkgPathExclude,
            List<String> dpkgPathInclude,
            List<String> hooks,
            List<String> extraSuites) {
        public Base {
            extraSuites = extraSuites == null ? List.of() : List.copyOf(extraSuites);
            components = List.copyOf(components);
            packages = List.copyOf(packages);
            dpkgPathExclude = List.copyOf(dpkgPathExclude);
            dpkgPathInclude = List.copyOf(dpkgPathInclude);
            hooks = List.copyOf(hooks);
        }
    }

    /**
     * Image tweaks applied to a copy of the base tree.
     *
     * @param hostname written to /etc/hostname and /etc/hosts
     * @param remove absolute paths or globs (in the last segment) deleted from the tree
     */
    public record Image(String hostname, List<String> remove) {
        public Image {
            remove = List.copyOf(remove);
        }
    }

    /** environment.json as written on disk. */
    record JsonForm(String name, String description, String version, BaseFile base, Image image) {
    }

    /** The "base" object of environment.json: the package list is a separate file. */
    record BaseFile(String distribution, String suite, String variant, List<String> components, String packagesFile,
            List<String> dpkgPathExclude, List<String> dpkgPathInclude, List<String> hooks, List<String> extraSuites) {
    }

    public EnvironmentRecipe {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(image, "image");
    }

    /**
     * Validates a parsed environment.json plus its package list text.
     *
     * @throws IllegalArgumentException naming the recipe directory and the bad field
     */
    static EnvironmentRecipe of(String directory, JsonForm file, String packagesText) {
        String where = "environments/" + directory + "/environment.json: ";
        // Cache and work directories are named after it (RootfsBuilder.workPrefix).
        require(TOKEN.matcher(directory).matches(), where + "the directory name must match " + TOKEN.pattern());
        require(file.name() != null && NAME.matcher(file.name()).matches(), where + "bad name " + file.name());
        require(file.description() != null && !file.description().isBlank() && !file.description().contains("\n"),
                where + "description must be one non-empty line");
        require(file.version() != null && file.version().matches("[0-9]+\\.[0-9]+\\.[0-9]+"),
                where + "version must look like 1.0.0");
        require(file.base() != null, where + "missing \"base\"");
        require(file.image() != null, where + "missing \"image\"");
        BaseFile b = file.base();
        require("debian".equals(b.distribution()), where + "base.distribution must be debian");
        require(b.suite() != null && TOKEN.matcher(b.suite()).matches(), where + "bad base.suite " + b.suite());
        require(VARIANTS.contains(b.variant()), where + "base.variant must be one of " + VARIANTS);
        List<String> components = orEmpty(b.components());
        require(!components.isEmpty() && components.stream().allMatch(c -> TOKEN.matcher(c).matches()),
                where + "base.components must list archive components such as main");
        List<String> packages = parsePackages(packagesText, "environments/" + directory + "/" + b.packagesFile());
        for (String path : concat(orEmpty(b.dpkgPathExclude()), orEmpty(b.dpkgPathInclude()))) {
            require(GLOB_PATH.matcher(path).matches() && !path.contains(".."), where + "bad dpkg path " + path);
        }
        for (String hook : orEmpty(b.hooks())) {
            require(TOKEN.matcher(hook).matches(), where + "bad hook name " + hook);
        }
        for (String extra : orEmpty(b.extraSuites())) {
            require(TOKEN.matcher(extra).matches() && !extra.equals(b.suite()), where + "bad base.extra_suites entry "
                    + extra + " (a suite such as " + b.suite() + "-security, not the base suite)");
        }
        require(orEmpty(b.extraSuites()).stream().distinct().count() == orEmpty(b.extraSuites()).size(),
                where + "base.extra_suites lists a suite twice");
        Image image = file.image();
        require(image.hostname() != null && image.hostname().matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"),
                where + "image.hostname must be a valid host name");
        for (String path : orEmpty(image.remove())) {
            require(GLOB_PATH.matcher(path).matches() && !path.contains("..") && !path.equals("/")
                            && !path.substring(0, path.lastIndexOf('/') + 1).contains("*"),
                    where + "bad image.remove path " + path + " (absolute; a glob only in the last part)");
        }
        Base base = new Base(b.distribution(), b.suite(), b.variant(), components, packages,
                orEmpty(b.dpkgPathExclude()), orEmpty(b.dpkgPathInclude()), orEmpty(b.hooks()),
                orEmpty(b.extraSuites()));
        return new EnvironmentRecipe(file.name(), file.description(), file.version(), directory, base,
                new Image(image.hostname(), orEmpty(image.remove())));
    }

    /** Parses a package list: one name per line, {@code #} starts a comment. */
    static List<String> parsePackages(String text, String where) {
        List<String> packages = new ArrayList<>();
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].replaceAll("#.*", "").strip();
            if (line.isEmpty()) {
                continue;
            }
            require(PACKAGE.matcher(line).matches(), where + " line " + (i + 1) + ": not a package name: " + line);
            require(!packages.contains(line), where + " line " + (i + 1) + ": " + line + " is listed twice");
            packages.add(line);
        }
        return packages;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    private static List<String> orEmpty(List<String> list) {
        return list == null ? List.of() : list;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
