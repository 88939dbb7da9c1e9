package dev.pyro.internal.engine.qemu;

import dev.pyro.PyroException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code qemu-system-x86_64} to run: {@code PYRO_QEMU} if set, else the first on PATH.
 *
 * @param path absolute path of the binary
 * @param version its version, e.g. {@code 7.2.19} (from {@code --version})
 * @param versionLine the whole first line of {@code --version}, for reports
 */
public record QemuBinary(Path path, String version, String versionLine) {
    public static final String ENV_OVERRIDE = "PYRO_QEMU";
    public static final String NAME = "qemu-system-x86_64";
    private static final Pattern VERSION = Pattern.compile("version (\\d+\\.\\d+(?:\\.\\d+)?)");

    /** Finds QEMU in this process's environment. */
    public static QemuBinary locate() {
        return locate(System.getenv());
    }

    /**
     * Finds QEMU through {@code PYRO_QEMU} or {@code PATH} in {@code env} and asks its version.
     *
     * @throws PyroException {@code HOST_SETUP} if it is missing or does not run
     */
    public static QemuBinary locate(Map<String, String> env) {
        Path path = find(env);
        return new QemuBinary(path, null, null).withVersion();
    }

    /**
     * As {@link #locate(Map)}, but remembers the version in {@code cacheFile}, keyed by the
     * binary's path, size and modification time: asking QEMU costs a process start on every
     * pyro command otherwise.
     */
    public static QemuBinary locate(Map<String, String> env, Path cacheFile) {
        Path path = find(env);
        String key;
        try {
            java.nio.file.attribute.BasicFileAttributes a = Files.readAttributes(path,
                    java.nio.file.attribute.BasicFileAttributes.class);
            key = path + "|" + a.size() + "|" + a.lastModifiedTime().toMillis();
        } catch (IOException e) {
            return new QemuBinary(path, null, null).withVersion();
        }
        java.util.Properties cached = new java.util.Properties();
        try (java.io.InputStream in = Files.newInputStream(cacheFile)) {
            cached.load(in);
            if (key.equals(cached.getProperty("key")) && cached.getProperty("version") != null) {
                return new QemuBinary(path, cached.getProperty("version"), cached.getProperty("versionLine", ""));
            }
        } catch (IOException | IllegalArgumentException e) {
            // no or damaged cache: ask QEMU
        }
        QemuBinary fresh = new QemuBinary(path, null, null).withVersion();
        java.util.Properties out = new java.util.Properties();
        out.setProperty("key", key);
        out.setProperty("version", fresh.version());
        out.setProperty("versionLine", fresh.versionLine());
        try {
            Files.createDirectories(cacheFile.getParent());
            Path tmp = Files.createTempFile(cacheFile.getParent(), ".qemu-version", ".tmp");
            try (java.io.OutputStream o = Files.newOutputStream(tmp)) {
                out.store(o, "qemu-system-x86_64 --version, cached by pyro");
            }
            Files.move(tmp, cacheFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // caching is an optimisation only
        }
        return fresh;
    }

    private static Path find(Map<String, String> env) {
        String override = env.get(ENV_OVERRIDE);
        if (override != null && !override.isBlank()) {
            Path p = Path.of(override).toAbsolutePath();
            if (!Files.isExecutable(p)) {
                throw new PyroException(PyroException.Kind.HOST_SETUP, ENV_OVERRIDE + "=" + override
                        + " is not an executable file; point it at qemu-system-x86_64 or unset it");
            }
            return p;
        }
        for (String dir : env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin").split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, NAME);
            if (Files.isExecutable(p)) {
                return p.toAbsolutePath();
            }
        }
        throw new PyroException(PyroException.Kind.HOST_SETUP, NAME + " not found on PATH; install it "
                + "(Debian/Ubuntu: apt-get install qemu-system-x86) or set " + ENV_OVERRIDE);
    }

    private QemuBinary withVersion() {
        try {
            Process p = new ProcessBuilder(path.toString(), "--version").redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            byte[] out = p.getInputStream().readNBytes(64 * 1024);
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("--version did not finish within 10 s");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            String first = text.lines().findFirst().orElse("").strip();
            Matcher m = VERSION.matcher(first);
            if (p.exitValue() != 0 || !m.find()) {
                throw new IOException("unexpected --version output: " + first);
            }
            return new QemuBinary(path, m.group(1), first);
        } catch (IOException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, path + " does not run (" + e.getMessage()
                    + "); reinstall qemu-system-x86 or set " + ENV_OVERRIDE, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PyroException(PyroException.Kind.CANCELLED, "interrupted while asking " + path + " its version");
        }
    }
}
