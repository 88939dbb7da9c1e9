package dev.pyro.testsupport;

import dev.pyro.ProgressListener;
import dev.pyro.internal.runtime.ResolvedRuntime;
import dev.pyro.internal.runtime.RuntimeBuilder;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The guest kernel and root image for tests that boot VMs.
 *
 * <ul>
 *   <li>{@code -Dpyro.test.kernel=FILE} or {@code PYRO_TEST_KERNEL}: the guest kernel (bzImage,
 *       or a PVH vmlinux).
 *   <li>{@code -Dpyro.test.rootfs=FILE} or {@code PYRO_TEST_ROOTFS}: an ext4 root image that has
 *       the agent at /usr/sbin/pyro-agent; or instead
 *   <li>{@code -Dpyro.test.rootfsTree=DIR} or {@code PYRO_TEST_ROOTFS_TREE}: a root directory
 *       tree (e.g. a debootstrap minbase); the test copies it, adds the agent built from source
 *       by {@link AgentBinary}, and makes an image with {@code mke2fs -d} (removed at JVM exit).
 * </ul>
 * Without them the tests boot what the runtime pipeline materialised in the cache
 * ({@code PYRO_CACHE_DIR}, default ~/.cache/pyro) for {@code debian:12-base}, building it first
 * if needed (run-tests materialises it before the suite starts).
 */
public final class GuestImages {
    private static Path builtRoot;

    private GuestImages() {
    }

    private static ResolvedRuntime materialised;

    /** The pipeline's installed kernel and image for debian:12-base (built on first use). */
    private static synchronized ResolvedRuntime materialised() {
        if (materialised == null) {
            RuntimeBuilder runtime = RuntimeBuilder.fromEnvironment();
            runtime.materialize(List.of("debian:12-base"), ProgressListener.NONE);
            materialised = runtime.resolve("debian:12-base", ProgressListener.NONE);
        }
        return materialised;
    }

    public static Path kernel() {
        String k = TestConfig.get("pyro.test.kernel", "PYRO_TEST_KERNEL");
        if (k == null) {
            return materialised().bzImage();
        }
        Path p = Path.of(k).toAbsolutePath();
        assumeTrue(Files.isRegularFile(p), "guest kernel " + p + " does not exist");
        return p;
    }

    public static synchronized Path rootImage() {
        String image = TestConfig.get("pyro.test.rootfs", "PYRO_TEST_ROOTFS");
        if (image != null) {
            Path p = Path.of(image).toAbsolutePath();
            assumeTrue(Files.isRegularFile(p), "root image " + p + " does not exist");
            return p;
        }
        String tree = TestConfig.get("pyro.test.rootfsTree", "PYRO_TEST_ROOTFS_TREE");
        if (tree == null) {
            return materialised().rootImage();
        }
        if (builtRoot == null) {
            builtRoot = build(Path.of(tree).toAbsolutePath());
        }
        return builtRoot;
    }

    private static Path build(Path tree) {
        try {
            Path dir = Files.createTempDirectory("pyro-test-rootfs-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> AgentBinary.deleteTree(dir)));
            Path copy = dir.resolve("tree");
            run(List.of("cp", "-a", tree.toString(), copy.toString()));
            Files.copy(AgentBinary.get(), copy.resolve("usr/sbin/pyro-agent"));
            Path image = dir.resolve("root.ext4");
            run(List.of("mke2fs", "-q", "-F", "-t", "ext4", "-d", copy.toString(), image.toString(), "1G"));
            AgentBinary.deleteTree(copy);
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void run(List<String> command) throws IOException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " failed: " + new String(out));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
