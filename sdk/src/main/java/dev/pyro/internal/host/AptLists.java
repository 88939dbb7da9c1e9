package dev.pyro.internal.host;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * How old the host's apt package lists are. A fresh machine often carries lists from months ago:
 * their .deb files and pinned versions are gone from the mirrors, so pyro refreshes lists older
 * than {@link #MAX_AGE} before it installs anything. apt dates each list file by the mirror's
 * Last-Modified header, not by when it was fetched, so pyro also keeps a stamp of its own last
 * successful {@code apt-get update}; {@code scripts/host-packages.sh} (the launcher and
 * run-tests) reads and writes the same stamp.
 */
public final class AptLists {
    /** Lists older than this are refreshed before an install. */
    public static final Duration MAX_AGE = Duration.ofDays(1);
    /** Where Debian keeps the lists. */
    public static final Path DEFAULT_DIR = Path.of("/var/lib/apt/lists");

    private final Path listsDir;
    private final Path stamp;
    private final Clock clock;

    public AptLists(Path listsDir, Path stamp, Clock clock) {
        this.listsDir = listsDir;
        this.stamp = stamp;
        this.clock = clock;
    }

    /** The host's lists ({@link #DEFAULT_DIR}) with pyro's stamp at {@code stamp}. */
    public static AptLists host(Path stamp) {
        return new AptLists(DEFAULT_DIR, stamp, Clock.systemUTC());
    }

    /** Time since the lists were last refreshed: the newest Release file, or pyro's own stamp. */
    public Duration age() {
        Instant newest = modified(stamp);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(listsDir, "*Release")) {
            for (Path file : files) {
                Instant t = modified(file);
                if (t.isAfter(newest)) {
                    newest = t;
                }
            }
        } catch (IOException e) {
            // No lists at all: as old as can be.
        }
        return Duration.between(newest, clock.instant());
    }

    /** Whether the lists are older than {@link #MAX_AGE}. */
    public boolean stale() {
        return age().compareTo(MAX_AGE) > 0;
    }

    /** Notes a successful {@code apt-get update}. */
    public void markUpdated() {
        try {
            Files.createDirectories(stamp.getParent());
            if (!Files.exists(stamp)) {
                Files.createFile(stamp);
            }
            Files.setLastModifiedTime(stamp, FileTime.from(clock.instant()));
        } catch (IOException e) {
            // Only costs an extra update next time.
        }
    }

    private static Instant modified(Path file) {
        try {
            return Files.getLastModifiedTime(file).toInstant();
        } catch (IOException e) {
            return Instant.EPOCH;
        }
    }
}
