package dev.pyro.internal.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** What every installed component records about itself in its metadata file. */
interface ComponentInfo {
    /** The content key (directory name) the component was built for. */
    String key();

    /** The key's input listing, to explain rebuilds. */
    String keyInputs();

    /** The installed files with their hashes, sizes and modification times. */
    List<InstalledFile> files();

    /** The first file problem (missing, changed size or time, or with {@code full} a hash mismatch). */
    default Optional<String> problem(Path dir, boolean full) {
        for (InstalledFile file : files()) {
            Optional<String> problem = full ? file.fullProblem(dir) : file.cheapProblem(dir);
            if (problem.isPresent()) {
                return problem;
            }
        }
        return Optional.empty();
    }

    /** The recorded file called {@code name}. */
    default InstalledFile file(String name) {
        return files().stream().filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no file " + name + " recorded for " + key()));
    }
}
