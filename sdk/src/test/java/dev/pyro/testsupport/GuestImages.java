package dev.pyro.testsupport;

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
 * Without them the VM tests are skipped, saying which setting is missing.
 */
public final class GuestImages {
    private static Path builtRoot;

    private GuestImages() {
    }

    public static Path kernel() {
        String k = TestConfig.get("pyro.test.kernel", "PYRO_TEST_KERNEL");
        assumeTrue(k != null, "set -Dpyro.test.kernel or PYRO_TEST_KERNEL to a guest kernel to run VM tests");
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
        assumeTrue(tree != null, "set -Dpyro.test.rootfs (an image with the agent) or -Dpyro.test.rootfsTree "
                + "(a root directory tree) to run VM tests");
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
