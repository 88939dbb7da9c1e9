package dev.pyro.internal.net;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The host-wide settings of a network namespace that the tap back end turns on: IPv4 forwarding
 * (NAT needs it) and {@code route_localnet} on {@code lo} (published ports DNAT the host's
 * 127.0.0.1 to a guest). Whatever pyro changed is recorded before it changes it and put back
 * when pyro's last TAP device in that namespace goes, under a lock that also covers creating a
 * device, so a setup and a teardown in two processes never interleave. A setting somebody else
 * changed since (it no longer holds pyro's value) is left as it is.
 *
 * <p>The record is a small properties file per network namespace (named by the namespace's
 * inode) under {@code /run/pyro/tap}, or the temporary directory where /run is not writable. A
 * record found while no pyro device exists belongs to a namespace that was deleted with its
 * devices (its inode may be reused) or to a setup that died half way; it is dropped, not
 * applied, since its values may be another namespace's.
 */
final class TapHostSettings {
    private static final ReentrantLock IN_PROCESS = new ReentrantLock();
    private static final String ON = "1";

    private final Path dir;
    private final String namespace;

    TapHostSettings(Path dir, String namespace) {
        this.dir = dir;
        this.namespace = namespace;
    }

    /** The settings of this process's network namespace. */
    static TapHostSettings current() {
        Path run = Path.of("/run");
        Path dir = Files.isWritable(run) ? run.resolve("pyro").resolve("tap")
                : Path.of(System.getProperty("java.io.tmpdir"), "pyro-tap");
        return new TapHostSettings(dir, netNamespace());
    }

    private static String netNamespace() {
        try {
            String link = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString(); // net:[4026531840]
            return link.replaceAll("[^0-9]", "");
        } catch (IOException | UnsupportedOperationException e) {
            return "unknown";
        }
    }

    private Path record() {
        return dir.resolve("net-" + namespace + ".properties");
    }

    /**
     * Runs {@code action} holding this namespace's lock (re-entrant within a thread).
     *
     * @throws UncheckedIOException when the lock file cannot be created
     */
    <T> T locked(Supplier<T> action) {
        IN_PROCESS.lock();
        try {
            if (IN_PROCESS.getHoldCount() > 1) {
                return action.get();
            }
            try {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (UnsupportedOperationException e) {
                Files.createDirectories(dir);
            }
            try (FileChannel channel = FileChannel.open(dir.resolve("net-" + namespace + ".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock lock = channel.lock()) {
                return action.get();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock the tap back end's settings in " + dir, e);
        } finally {
            IN_PROCESS.unlock();
        }
    }

    /**
     * Drops a record that no pyro device stands for (see the class comment). Call it
     * {@link #locked}, before creating a device.
     */
    void dropStale(boolean noDevices) throws IOException {
        if (noDevices) {
            Files.deleteIfExists(record());
        }
    }

    /**
     * Turns {@code setting} on, recording its value first unless pyro already did. Call it
     * {@link #locked}.
     */
    void turnOn(String key, Path setting) throws IOException {
        Optional<String> now = value(setting);
        if (now.isEmpty() || now.get().equals(ON)) {
            return; // already on (or absent: nothing to change)
        }
        Properties recorded = read();
        if (!recorded.containsKey(key)) {
            recorded.setProperty(key, now.get());
            write(recorded); // before the change: a crash in between leaves a record, never a silent change
        }
        Files.writeString(setting, ON + "\n");
    }

    /**
     * Puts back every recorded setting that still holds pyro's value, then forgets them. Call it
     * {@link #locked}, once pyro's last device in this namespace is gone.
     *
     * @param settings the file of each key
     */
    void restore(java.util.Map<String, Path> settings) throws IOException {
        Properties recorded = read();
        for (String key : recorded.stringPropertyNames()) {
            Path setting = settings.get(key);
            if (setting != null && value(setting).filter(ON::equals).isPresent()) {
                Files.writeString(setting, recorded.getProperty(key) + "\n");
            }
        }
        Files.deleteIfExists(record());
    }

    /** What pyro recorded (key to the value it replaced); empty when it changed nothing. */
    Properties read() throws IOException {
        Properties p = new Properties();
        if (Files.exists(record())) {
            try (Reader r = Files.newBufferedReader(record(), StandardCharsets.UTF_8)) {
                p.load(r);
            }
        }
        return p;
    }

    private void write(Properties p) throws IOException {
        Files.createDirectories(dir);
        Path tmp = record().resolveSibling(record().getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            p.store(w, "settings the pyro tap back end changed in network namespace " + namespace
                    + ", with their values before; put back when its last device goes");
        }
        Files.move(tmp, record(), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static Optional<String> value(Path setting) {
        try {
            return Optional.of(Files.readString(setting).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
