package dev.pyro.internal.runtime;

import dev.pyro.ProgressListener;
import dev.pyro.internal.host.HostTools;
import dev.pyro.internal.oci.OciSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A private cache holding real built environments, for tests that publish: the kernel, agent
 * and images are built (or found, keyed) in the shared IT cache, then hard-linked into a
 * temporary cache whose lock only the test writes. Installed files are read-only (0444) and
 * no test writes into a seeded file, so the shared cache is never changed through the links.
 */
final class SeededCache {
    private SeededCache() {
    }

    /** A builder on {@code cacheDir} with {@code environments} installed (built) and locked. */
    static RuntimeBuilder seed(Path cacheDir, OciSettings oci, String... environments) {
        RuntimeBuilder shared = ItRuntime.builder();
        ItRuntime.Recorder progress = new ItRuntime.Recorder();
        KernelArtifact kernel = shared.buildKernel(false, progress);
        AgentArtifact agent = shared.buildAgent(false, progress);
        RuntimePaths paths = new RuntimePaths(cacheDir, cacheDir.resolve("home"));
        link(kernel.dir(), paths.kernelsDir().resolve(kernel.dir().getFileName()));
        link(agent.dir(), paths.agentsDir().resolve(agent.dir().getFileName()));
        for (String env : environments) {
            RootfsArtifact rootfs = shared.buildRootfs(env, false, progress);
            EnvironmentRecipe recipe = shared.environment(env);
            link(rootfs.dir(), paths.environmentDir(recipe.directory()).resolve(rootfs.dir().getFileName()));
        }
        RuntimeBuilder seeded = new RuntimeBuilder(paths, RuntimeSettings.defaults(), Recipes.fromClasspath(),
                HostTools.fromEnvironment(System.getenv(), paths.logsDir(), paths.aptListsStamp()), oci);
        // Finds everything up to date (same keys) and writes the private lock.
        seeded.buildKernel(false, ProgressListener.NONE);
        for (String env : environments) {
            seeded.buildRootfs(env, false, ProgressListener.NONE);
        }
        return seeded;
    }

    /** Hard-links every file of {@code from} into {@code to} (same inode: sizes and times stay as recorded). */
    static void link(Path from, Path to) {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path source : walk.toList()) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else if (!Files.exists(target)) {
                    try {
                        Files.createLink(target, source);
                    } catch (IOException | UnsupportedOperationException e) {
                        Files.copy(source, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
