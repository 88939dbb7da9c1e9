package dev.pyro.internal.runtime;

import dev.pyro.PyroException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The tracked runtime recipes for linux-x86_64: the kernel pin and config fragment, the guest
 * agent sources and the environment recipes. Normally read from the classpath (they are
 * packaged into the SDK jar), so pyro works from any directory; tests may read a directory.
 */
public final class Recipes {
    /** Where the recipes live on the classpath. */
    public static final String CLASSPATH_ROOT = "dev/pyro/runtime_sources/linux-x86_64/";

    /** Make's dependency files, which a developer's build may leave next to the sources. */
    private static final String DEPENDENCY_SUFFIX = ".d";

    private final Path root;

    private Recipes(Path root) {
        this.root = root;
    }

    /** The recipes packaged with this SDK (a directory in development, a jar otherwise). */
    public static Recipes fromClasspath() {
        return fromClassLoader(Recipes.class.getClassLoader());
    }

    /** The recipes as packaged on the given class loader's classpath (a directory or a jar). */
    static Recipes fromClassLoader(ClassLoader loader) {
        String probe = CLASSPATH_ROOT + "kernel/source.json";
        URL url = loader.getResource(probe);
        if (url == null) {
            throw new PyroException(PyroException.Kind.INTERNAL,
                    "the runtime recipes are missing from the classpath (" + probe + "); rebuild pyro");
        }
        try {
            URI uri = url.toURI();
            Path file;
            if (uri.getScheme().equals("jar")) {
                FileSystem fs;
                try {
                    fs = FileSystems.newFileSystem(uri, Map.of());
                } catch (FileSystemAlreadyExistsException e) {
                    fs = FileSystems.getFileSystem(uri);
                }
                file = fs.getPath("/" + probe);
            } else {
                file = Path.of(uri);
            }
            return new Recipes(file.getParent().getParent());
        } catch (URISyntaxException | IOException e) {
            throw new PyroException(PyroException.Kind.INTERNAL, "cannot open the runtime recipes at " + url, e);
        }
    }

    /** Recipes from a directory laid out like {@code runtime_sources/linux-x86_64/}. */
    public static Recipes fromDirectory(Path root) {
        return new Recipes(root);
    }

    /** The recipe root (for messages). */
    public Path root() {
        return root;
    }

    /** The pinned kernel source package ({@code kernel/source.json}). */
    public KernelSource kernelSource() {
        return parse("kernel/source.json", KernelSource.class);
    }

    /** The kernel config fragment ({@code kernel/microvm.config}). */
    public KernelFragment kernelFragment() {
        String where = "kernel/microvm.config";
        try {
            return KernelFragment.parse(read(where));
        } catch (IllegalArgumentException e) {
            throw broken(e.getMessage());
        }
    }

    /** Every file of {@code agent/} except build outputs; empty when there is no agent yet. */
    public AgentSources agentSources() {
        Path dir = root.resolve("agent");
        if (!Files.isDirectory(dir)) {
            return new AgentSources(List.of());
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            List<AgentSources.SourceFile> files = new ArrayList<>();
            for (Path file : walk.filter(Files::isRegularFile).sorted(Comparator.comparing(Path::toString)).toList()) {
                String relative = dir.relativize(file).toString();
                byte[] content = Files.readAllBytes(file);
                // Build outputs a developer's `make` left behind (the agent, test programs, objects)
                // are ELF files; they are not sources and must not change the agent's identity.
                if (isElf(content) || file.getFileName().toString().endsWith(DEPENDENCY_SUFFIX)) {
                    continue;
                }
                files.add(new AgentSources.SourceFile(relative, content));
            }
            return new AgentSources(files);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the agent sources in " + dir, e);
        }
    }

    /** Every environment recipe, sorted by name. */
    public List<EnvironmentRecipe> environments() {
        Path dir = root.resolve("environments");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<EnvironmentRecipe> recipes = new ArrayList<>();
        try (Stream<Path> children = Files.list(dir)) {
            for (Path child : children.sorted(Comparator.comparing(Path::toString)).toList()) {
                if (Files.isRegularFile(child.resolve("environment.json"))) {
                    recipes.add(loadEnvironment(child.getFileName().toString().replace("/", "")));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        Map<String, List<EnvironmentRecipe>> byName =
                recipes.stream().collect(Collectors.groupingBy(EnvironmentRecipe::name));
        byName.forEach((name, same) -> {
            if (same.size() > 1) {
                throw broken("environment " + name + " is defined twice: "
                        + same.stream().map(EnvironmentRecipe::directory).toList());
            }
        });
        recipes.sort(Comparator.comparing(EnvironmentRecipe::name));
        return List.copyOf(recipes);
    }

    /**
     * The named environment.
     *
     * @throws PyroException INVALID_ARGUMENT listing the known environments
     */
    public EnvironmentRecipe environment(String name) {
        List<EnvironmentRecipe> all = environments();
        return all.stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow(() ->
                PyroException.invalidArgument("unknown environment '" + name + "'; known environments: "
                        + all.stream().map(EnvironmentRecipe::name).collect(Collectors.joining(", "))));
    }

    private EnvironmentRecipe loadEnvironment(String directory) {
        String where = "environments/" + directory + "/";
        EnvironmentRecipe.JsonForm form = parse(where + "environment.json", EnvironmentRecipe.JsonForm.class);
        String packagesFile = form.base() == null || form.base().packagesFile() == null
                ? null : form.base().packagesFile();
        String packages = "";
        if (packagesFile != null) {
            if (!packagesFile.matches("[A-Za-z0-9._-]+")) {
                throw broken(where + "environment.json: packages_file must be a file name in the recipe directory");
            }
            packages = read(where + packagesFile);
        }
        try {
            return EnvironmentRecipe.of(directory, form, packages);
        } catch (IllegalArgumentException e) {
            throw broken(e.getMessage());
        }
    }

    private <T> T parse(String relative, Class<T> type) {
        try {
            return Json.parse(read(relative).getBytes(StandardCharsets.UTF_8), type);
        } catch (RuntimeException e) {
            throw broken(relative + ": " + firstLine(e.getMessage()));
        }
    }

    private String read(String relative) {
        Path file = root.resolve(relative);
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw broken("cannot read " + relative + " (" + e.getMessage() + ")");
        }
    }

    private static boolean isElf(byte[] content) {
        return content.length >= 4 && content[0] == 0x7f && content[1] == 'E' && content[2] == 'L' && content[3] == 'F';
    }

    private PyroException broken(String detail) {
        return new PyroException(PyroException.Kind.INTERNAL, "broken runtime recipe in " + root + ": " + detail);
    }

    private static String firstLine(String message) {
        return message == null ? "unreadable" : message.split("\n", 2)[0];
    }
}
