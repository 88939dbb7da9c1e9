package dev.pyro.internal.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Reads the pulled environments under {@code <runtime>/environments/<dir>/pulled/}. */
final class PulledStore {
    private final RuntimePaths paths;

    PulledStore(RuntimePaths paths) {
        this.paths = paths;
    }

    Path root(EnvironmentRecipe recipe) {
        return paths.pulledDir(recipe.directory());
    }

    /** The directory a pull of manifest {@code digest} installs into. */
    Path dirFor(EnvironmentRecipe recipe, String digest) {
        return root(recipe).resolve(keyOf(digest));
    }

    /** The first 16 hex digits of a manifest digest. */
    static String keyOf(String digest) {
        return digest.substring("sha256:".length(), "sha256:".length() + CacheKey.ID_LENGTH);
    }

    /** The install in {@code dir}, if its pulled.json is readable and belongs there. */
    Optional<PulledEnvironment> read(EnvironmentRecipe recipe, Path dir) {
        return Json.readIfValid(dir.resolve(PulledInfo.FILE), PulledInfo.class)
                .filter(info -> recipe.name().equals(info.environment())
                        && dir.getFileName().toString().equals(info.key()) && info.config() != null
                        && info.config().kernel() != null)
                .map(info -> new PulledEnvironment(dir, info));
    }

    /** Every directory in the pulled root (installs and leftovers). */
    List<Path> entries(EnvironmentRecipe recipe) {
        Path root = root(recipe);
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> children = Files.list(root)) {
            return children.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
    }
}
