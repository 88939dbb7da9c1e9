package dev.pyro.internal.state;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Points sqlite-jdbc at a copy of its native library kept in pyro's cache. Left to itself,
 * sqlite-jdbc extracts the library to /tmp on every process start and runs {@code uname -o}
 * to detect Android: about 0.2 s on each pyro command that touches the state store.
 */
public final class SqliteNative {
    private static final String RESOURCE = "org/sqlite/native/Linux/x86_64/libsqlitejdbc.so";
    private static final String LIB_PATH = "org.sqlite.lib.path";
    private static final String LIB_NAME = "org.sqlite.lib.name";

    private SqliteNative() {
    }

    /** Prepares the library under {@code cacheDir} once; does nothing off Linux x86-64 or when configured by hand. */
    public static synchronized void prepare(Path cacheDir) {
        if (System.getProperty(LIB_PATH) != null || !"Linux".equals(System.getProperty("os.name"))
                || !"amd64".equals(System.getProperty("os.arch"))) {
            return;
        }
        try {
            String version = org.sqlite.SQLiteJDBCLoader.getVersion();
            Path dir = cacheDir.resolve("native").resolve("sqlite-jdbc-" + version);
            Path lib = dir.resolve("libsqlitejdbc.so");
            if (!Files.isRegularFile(lib)) {
                try (InputStream in = SqliteNative.class.getClassLoader().getResourceAsStream(RESOURCE)) {
                    if (in == null) {
                        return;
                    }
                    Files.createDirectories(dir);
                    Path tmp = Files.createTempFile(dir, ".lib", ".tmp");
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(tmp, lib, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
            }
            System.setProperty(LIB_PATH, dir.toString());
            System.setProperty(LIB_NAME, lib.getFileName().toString());
        } catch (IOException | RuntimeException e) {
            // sqlite-jdbc's own loader still works; this only makes it faster.
        }
    }
}
