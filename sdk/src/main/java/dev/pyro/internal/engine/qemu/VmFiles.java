package dev.pyro.internal.engine.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
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
 * @param agentSockets QEMU's listening sockets for the guest agent's virtio-serial ports, one per
 *     port: {@code agent.sock} for {@code org.pyro.agent}, {@code agent.N.sock} for
 *     {@code org.pyro.agent.N}
 * @param qmpSocket QEMU's QMP listening socket
 * @param privateSocketDir the short directory holding the sockets, if one was needed
 */
public record VmFiles(Path runDir, Path consoleLog, Path qemuLog, List<Path> agentSockets, Path qmpSocket,
        Optional<Path> privateSocketDir) {
    /** Longest unix socket path (sun_path is 108 bytes with the terminating NUL). */
    public static final int MAX_SOCKET_PATH = 107;

    public VmFiles {
        agentSockets = List.copyOf(agentSockets);
        if (agentSockets.isEmpty()) {
            throw new IllegalArgumentException("a VM needs at least one agent socket");
        }
    }

    /** The first agent port's socket ({@code org.pyro.agent}). */
    public Path agentSocket() {
        return agentSockets.get(0);
    }

    /** The unix socket QEMU's network device connects to (user back end: the frame relay in front of passt). */
    public Path netSocket() {
        return agentSocket().resolveSibling("net.sock");
    }

    /** passt's own socket (user back end), behind the frame relay that QEMU connects to. */
    public Path passtSocket() {
        return agentSocket().resolveSibling("passt.sock");
    }

    /** The socket file name of agent port {@code port} (0: {@code org.pyro.agent}). */
    public static String agentSocketName(int port) {
        return port == 0 ? "agent.sock" : "agent." + port + ".sock";
    }

    /** Creates the files of a VM with one agent port. */
    public static VmFiles create(Path runDir, String vmId) throws IOException {
        return create(runDir, vmId, 1);
    }

    /**
     * Creates the run directory (and the short socket directory if needed); removes stale sockets.
     *
     * @param agentPorts number of agent ports (one socket each)
     */
    public static VmFiles create(Path runDir, String vmId, int agentPorts) throws IOException {
        Path dir = runDir.toAbsolutePath().normalize();
        Files.createDirectories(dir);
        Path socketDir = dir;
        Optional<Path> privateDir = Optional.empty();
        String longest = agentSocketName(agentPorts - 1);
        if (tooLong(dir.resolve(longest)) || tooLong(dir.resolve("qmp.sock"))) {
            privateDir = Optional.of(privateSocketDir(vmId));
            socketDir = privateDir.get();
        }
        List<Path> agents = new ArrayList<>();
        for (int port = 0; port < agentPorts; port++) {
            agents.add(socketDir.resolve(agentSocketName(port)));
        }
        VmFiles files = new VmFiles(dir, dir.resolve("console.log"), dir.resolve("qemu.log"), agents,
                socketDir.resolve("qmp.sock"), privateDir);
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
        if (tooLong(dir.resolve(agentSocketName(dev.pyro.internal.engine.VmSpec.MAX_AGENT_PORTS - 1)))) {
            throw new IOException("VM id '" + vmId + "' is too long for a unix socket path under " + base);
        }
        return dir;
    }

    private void deleteSockets() {
        List<Path> all = new ArrayList<>(agentSockets);
        all.add(qmpSocket);
        all.add(netSocket());
        all.add(passtSocket());
        for (Path p : all) {
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
