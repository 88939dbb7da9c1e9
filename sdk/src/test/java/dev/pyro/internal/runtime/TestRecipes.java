package dev.pyro.internal.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/** Copies of the packaged recipes that a test may change (e.g. its own agent sources). */
final class TestRecipes {
    private TestRecipes() {
    }

    /** The packaged recipe tree (target/classes in a Maven build). */
    static Path packaged() {
        return Recipes.fromClasspath().root();
    }

    /** A copy of the packaged recipes in {@code dir}, with the agent directory holding one file. */
    static Path copyWithAgent(Path dir, String agentSource) {
        copyTree(packaged(), dir);
        Path agent = dir.resolve("agent");
        deleteTree(agent);
        try {
            Files.createDirectories(agent);
            Files.writeString(agent.resolve("main.c"), agentSource);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    static void copyTree(Path from, Path to) {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path source : walk.toList()) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path dir) {
        Trees.deleteRecursively(dir);
    }
}
