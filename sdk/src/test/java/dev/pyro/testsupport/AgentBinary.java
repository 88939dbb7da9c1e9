package dev.pyro.testsupport;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Builds the real guest agent ({@code pyro-agent}) from its source once per test JVM, with the
 * agent's own Makefile, in a temporary directory removed when the JVM exits.
 *
 * <p>The source directory is {@code ../runtime_sources/linux-x86_64/agent} relative to the sdk
 * module (where Maven runs tests); {@code -Dpyro.test.agentSrc=DIR} or {@code PYRO_TEST_AGENT_SRC}
 * point elsewhere. Tests are skipped, with the reason, only if gcc or make is missing.
 */
public final class AgentBinary {
    private static Path binary;

    private AgentBinary() {
    }

    public static synchronized Path get() {
        if (binary == null) {
            binary = build();
        }
        return binary;
    }

    public static Path sourceDir() {
        String configured = TestConfig.get("pyro.test.agentSrc", "PYRO_TEST_AGENT_SRC");
        Path dir = configured != null ? Path.of(configured) : Path.of("..", "runtime_sources", "linux-x86_64", "agent");
        return dir.toAbsolutePath().normalize();
    }

    private static Path build() {
        assumeTrue(onPath("gcc") && onPath("make"), "gcc and make are needed to build pyro-agent (apt-get install gcc make)");
        Path src = sourceDir();
        if (!Files.isRegularFile(src.resolve("Makefile"))) {
            throw new IllegalStateException("no agent source at " + src + " (set -Dpyro.test.agentSrc)");
        }
        try {
            Path dir = Files.createTempDirectory("pyro-agent-build-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
            try (Stream<Path> files = Files.list(src)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    String name = f.getFileName().toString();
                    // Only sources: a stale binary in the source tree must not be reused.
                    if (Files.isRegularFile(f) && (name.endsWith(".c") || name.endsWith(".h") || name.equals("Makefile"))) {
                        Files.copy(f, dir.resolve(name));
                    }
                }
            }
            Path log = dir.resolve("make.log");
            Process make = new ProcessBuilder("make", "-C", dir.toString(), "pyro-agent")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!make.waitFor(120, TimeUnit.SECONDS) || make.exitValue() != 0) {
                make.destroyForcibly();
                throw new IllegalStateException("make pyro-agent failed:\n" + Files.readString(log));
            }
            return dir.resolve("pyro-agent");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort at JVM exit
        }
    }
}
