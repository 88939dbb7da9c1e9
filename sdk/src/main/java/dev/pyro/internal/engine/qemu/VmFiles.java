package dev.pyro.internal.engine.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * Where one VM's files live. Logs stay in the run directory (they are the user's evidence);
 * sockets are removed by {@link #removeSockets()}. A unix socket path is limited to 107 bytes,
 * so when the run directory is too deep the sockets go to a private directory
 * {@code /tmp/pyro-<uid>/<vm-id>/} (mode 0700) instead.
 *
 * @param runDir the VM's run directory
 * @param consoleLog the guest's serial console (kernel log, agent messages)
 * @param qemuLog QEMU's own stdout and stderr
 * @param agentSocket QEMU's listening socket for the guest agent's virtio-serial port
 * @param qmpSocket QEMU's QMP listening socket
 * @param privateSocketDir the short directory holding the sockets, if one was needed
 */
public record VmFiles(Path runDir, Path consoleLog, Path qemuLog, Path agentSocket, Path qmpSocket,
        Optional<Path> privateSocketDir) {
    /** Longest unix socket path (sun_path is 108 bytes with the terminating NUL). */
    public static final int MAX_SOCKET_PATH = 107;

    /** Creates the run directory (and the short socket directory if needed); removes stale sockets. */
    public static VmFiles create(Path runDir, String vmId) throws IOException {
        Path dir = runDir.toAbsolutePath().normalize();
        Files.createDirectories(dir);
        Path socketDir = dir;
        Optional<Path> privateDir = Optional.empty();
        if (tooLong(dir.resolve("agent.sock")) || tooLong(dir.resolve("qmp.sock"))) {
            privateDir = Optional.of(privateSocketDir(vmId));
            socketDir = privateDir.get();
        }
        VmFiles files = new VmFiles(dir, dir.resolve("console.log"), dir.resolve("qemu.log"),
                socketDir.resolve("agent.sock"), socketDir.resolve("qmp.sock"), privateDir);
        files.deleteSockets();
        return files;
    }

    static boolean tooLong(Path socket) {
        return socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH;
    }

    private static Path privateSocketDir(String vmId) throws IOException {
        Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        Path base = Path.of("/tmp", "pyro-" + uid);
        try {
            Files.createDirectory(base, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            // Another user could have planted it: it must be ours, a real directory, and private.
            if (!Files.isDirectory(base, LinkOption.NOFOLLOW_LINKS)
                    || !uid.equals(Files.getAttribute(base, "unix:uid", LinkOption.NOFOLLOW_LINKS))
                    || ((Integer) Files.getAttribute(base, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 077) != 0) {
                throw new IOException(base + " exists but is not a private directory of this user; remove it");
            }
        }
        Path dir = base.resolve(vmId);
        Files.createDirectories(dir);
        if (tooLong(dir.resolve("agent.sock"))) {
            throw new IOException("VM id '" + vmId + "' is too long for a unix socket path under " + base);
        }
        return dir;
    }

    private void deleteSockets() {
        for (Path p : new Path[] {agentSocket, qmpSocket}) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // best effort
            }
        }
    }

    /** Deletes the sockets (and the private socket directory); never throws. */
    public void removeSockets() {
        deleteSockets();
        privateSocketDir.ifPresent(d -> {
            try {
                Files.deleteIfExists(d);
            } catch (IOException e) {
                // not empty (someone else's file) or already gone
            }
        });
    }
}
