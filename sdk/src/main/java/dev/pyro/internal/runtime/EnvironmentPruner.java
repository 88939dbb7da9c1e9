package dev.pyro.internal.runtime;

import dev.pyro.ProgressListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Removes environment entries that can never be used again or cannot be trusted, and keeps the
 * good ones. Per environment, under its build lock (so no build or pull of it runs meanwhile):
 * <ul>
 * <li>broken: the image in use (built or pulled) whose files fail the check, or a directory
 *   without readable metadata; its lock entry goes too, so the environment reads as missing and
 *   the next pull or build installs it cleanly;</li>
 * <li>stale: built images of other keys (older recipes or agents), base trees of other keys,
 *   pulled images the environment no longer uses;</li>
 * <li>leftovers: staging directories and work trees of interrupted builds and pulls.</li>
 * </ul>
 * Then downloads in {@code <cache>/oci/blobs} that no running pull holds. Kernels and agents
 * are not environment entries and are left alone.
 */
final class EnvironmentPruner {
    private final RuntimePaths paths;
    private final Recipes recipes;
    private final RootfsBuilder images;
    private final PulledStore pulls;
    private final RuntimeLockStore lockStore;
    private final RuntimeInspector inspector;

    EnvironmentPruner(RuntimePaths paths, Recipes recipes, RootfsBuilder images, PulledStore pulls,
            RuntimeLockStore lockStore, RuntimeInspector inspector) {
        this.paths = paths;
        this.recipes = recipes;
        this.images = images;
        this.pulls = pulls;
        this.lockStore = lockStore;
        this.inspector = inspector;
    }

    @SuppressWarnings("try") // the lock is held for the block's duration, never used in it
    PruneOutcome prune(ProgressListener listener) {
        Progress progress = new Progress(listener, "prune");
        List<PruneOutcome.Removed> removed = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        for (EnvironmentRecipe recipe : recipes.environments()) {
            progress.step("checking " + recipe.name());
            try (FileLocks.Held lock = FileLocks.acquire(paths.locksDir().resolve("rootfs-" + recipe.directory() + ".lock"),
                    progress, "the " + recipe.name() + " image")) {
                pruneEnvironment(recipe, removed, kept);
            }
        }
        pruneDownloads(removed);
        progress.step("removed " + removed.size() + " entries, freed " + EnvironmentPuller.mib(
                removed.stream().mapToLong(PruneOutcome.Removed::bytes).sum()));
        return new PruneOutcome(removed, kept);
    }

    private void pruneEnvironment(EnvironmentRecipe recipe, List<PruneOutcome.Removed> removed, List<String> kept) {
        RuntimeLock lock = lockStore.read();
        RuntimeLock.Environment entry = lock.environments().get(recipe.name());
        Path inUse = entry == null ? null : Path.of(entry.path());
        String name = recipe.name();
        EnvironmentState state = inspector.current(recipe);
        AgentArtifact agent = inspector.currentAgent();
        String currentKey = agent == null ? null : RootfsBuilder.key(recipe, agent.info().binarySha256()).id();
        String baseKey = BaseTreeBuilder.key(recipe).id();
        boolean dropEntry = false;

        for (Path child : children(paths.environmentDir(recipe.directory()))) {
            String n = child.getFileName().toString();
            if (n.equals("base") || n.equals("pulled")) {
                continue;
            }
            if (n.startsWith(".")) {
                remove(name, child, "leftover of an interrupted build", removed);
            } else if (currentKey != null && !n.equals(currentKey) || currentKey == null && !child.equals(inUse)) {
                remove(name, child, "stale: built from other recipes or another guest agent", removed);
                dropEntry |= child.equals(inUse);
            } else {
                Optional<String> problem = images.installed(recipe, n).map(r -> r.manifest().problem(r.dir(), false))
                        .orElse(Optional.of("no readable " + RootfsManifest.FILE));
                if (problem.isPresent()) {
                    remove(name, child, "broken: " + problem.get(), removed);
                    dropEntry |= child.equals(inUse);
                } else {
                    kept.add(name + " (built) " + child);
                }
            }
        }
        for (Path child : children(paths.baseTreesDir(recipe.directory()))) {
            String n = child.getFileName().toString();
            if (n.startsWith(".")) {
                remove(name, child, "leftover of an interrupted bootstrap", removed);
            } else if (!n.equals(baseKey)) {
                remove(name, child, "stale: a base tree of other recipes", removed);
            } else {
                Optional<String> problem = Json.readIfValid(child.resolve(BaseTreeInfo.FILE), BaseTreeInfo.class)
                        .map(info -> info.problem(child, false)).orElse(Optional.of("no readable " + BaseTreeInfo.FILE));
                if (problem.isPresent()) {
                    remove(name, child, "broken: " + problem.get(), removed);
                }
            }
        }
        for (Path child : pulls.entries(recipe)) {
            String n = child.getFileName().toString();
            if (n.startsWith(".")) {
                remove(name, child, "leftover of an interrupted pull", removed);
                continue;
            }
            boolean active = child.equals(inUse) && entry.pulled();
            Optional<PulledEnvironment> p = pulls.read(recipe, child);
            Optional<String> problem = p.isEmpty() ? Optional.of("no readable " + PulledInfo.FILE)
                    : p.get().info().problem(child, false);
            if (problem.isPresent()) {
                remove(name, child, "broken: " + problem.get(), removed);
                dropEntry |= active;
            } else if (!active) {
                remove(name, child, "stale: " + name + " now uses "
                        + (state.source() == null ? "nothing" : "another " + state.source() + " image"), removed);
            } else {
                kept.add(name + " (pulled " + p.get().info().digest().substring(0, 19) + ") " + child);
            }
        }
        for (Path work : children(paths.buildDir())) {
            if (work.getFileName().toString().startsWith("rootfs-" + recipe.directory() + "-")) {
                remove(name, work, "leftover work tree of an interrupted build", removed);
            }
        }
        if (entry != null && (dropEntry || !Files.exists(inUse))) {
            lockStore.update(l -> l.withoutEnvironment(name));
        }
    }

    private void pruneDownloads(List<PruneOutcome.Removed> removed) {
        for (Path blob : children(paths.ociBlobsDir())) {
            String n = blob.getFileName().toString();
            String hex = n.endsWith(".partial") ? n.substring(0, n.length() - ".partial".length()) : n;
            if (hex.length() < 16) {
                remove(null, blob, "not a download", removed);
                continue;
            }
            Optional<FileLocks.Held> held = FileLocks.tryAcquire(paths.locksDir().resolve("blob-" + hex.substring(0, 16)
                    + ".lock"));
            if (held.isEmpty()) {
                continue; // A pull is using it right now.
            }
            try (FileLocks.Held h = held.get()) {
                remove(null, blob, n.endsWith(".partial") ? "leftover: partial download of an interrupted pull"
                        : "leftover: download of an interrupted pull", removed);
            }
        }
        // A blob's lock file outlives its pull; drop the ones nobody holds. (A pull that has
        // the old file open would still be safe: every blob is verified before it is used.)
        for (Path lockFile : children(paths.locksDir())) {
            String n = lockFile.getFileName().toString();
            if (n.startsWith("blob-") && n.endsWith(".lock")) {
                FileLocks.tryAcquire(lockFile).ifPresent(h -> {
                    try (h) {
                        Files.deleteIfExists(lockFile);
                    } catch (IOException ignored) {
                        // Harmless: an empty file.
                    }
                });
            }
        }
    }

    private static void remove(String environment, Path path, String reason, List<PruneOutcome.Removed> removed) {
        long bytes = sizeOf(path);
        Trees.deleteRecursively(path);
        removed.add(new PruneOutcome.Removed(environment, path, reason, bytes));
    }

    private static List<Path> children(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    private static long sizeOf(Path path) {
        try (Stream<Path> walk = Files.walk(path)) {
            return walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException | UncheckedIOException e) {
            return 0;
        }
    }
}
