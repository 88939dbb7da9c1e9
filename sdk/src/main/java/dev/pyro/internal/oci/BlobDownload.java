package dev.pyro.internal.oci;

import dev.pyro.PyroException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * One resumable, verified blob download: bytes go to {@code <target>.partial}; an existing
 * partial file is hashed and continued with a {@code Range} request (a registry that ignores
 * the range sends everything, and the file starts over); when the size is reached the sha256
 * must equal the descriptor's digest, and only then is the file renamed to {@code target}. A
 * mismatch deletes the partial file. A download that stalls for the request timeout is aborted.
 */
final class BlobDownload {
    private static final int BUFFER = 1 << 20;

    private final RegistryClient client;
    private final ImageReference ref;
    private final Descriptor descriptor;
    private final Path target;
    private final Path partial;
    private final LongConsumer progress;

    BlobDownload(RegistryClient client, ImageReference ref, Descriptor descriptor, Path target, LongConsumer progress) {
        this.client = client;
        this.ref = ref;
        this.descriptor = descriptor;
        this.target = target;
        this.partial = partialOf(target);
        this.progress = progress;
    }

    /** Where the bytes of an unfinished download of {@code target} are kept. */
    static Path partialOf(Path target) {
        return target.resolveSibling(target.getFileName() + ".partial");
    }

    long run() {
        MessageDigest digest = sha256();
        long have = resumeFrom(digest);
        long transferred = 0;
        if (have < descriptor.size()) {
            transferred = fetch(have, digest);
        }
        String actual = Digests.sha256(HexFormat.of().formatHex(digest.digest()));
        long size = sizeOf(partial);
        if (size != descriptor.size() || !actual.equals(descriptor.digest())) {
            deleteQuietly(partial);
            throw mismatch(client.registry(), ref, descriptor, actual, size);
        }
        try {
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw DiskErrors.writing(partial, e);
        }
        return transferred;
    }

    /** Hashes what an earlier, interrupted download left; returns its length. */
    private long resumeFrom(MessageDigest digest) {
        long have = sizeOf(partial);
        if (have > descriptor.size()) {
            deleteQuietly(partial);
            return 0;
        }
        if (have > 0) {
            try (InputStream in = Files.newInputStream(partial)) {
                byte[] buffer = new byte[BUFFER];
                int n;
                while ((n = in.read(buffer)) > 0) {
                    digest.update(buffer, 0, n);
                }
            } catch (IOException e) {
                deleteQuietly(partial);
                digest.reset();
                return 0;
            }
            progress.accept(have);
        }
        return have;
    }

    /** Downloads from {@code have} on; returns the bytes received. */
    private long fetch(long have, MessageDigest digest) {
        HttpResponse<InputStream> response = client.sendFollowingRedirects(ref, descriptor.digest(),
                have > 0 ? "bytes=" + have + "-" : null);
        int status = response.statusCode();
        if (status == 206) {
            long start = contentRangeStart(response);
            if (start != have) {
                RegistryClient.close(response);
                throw new PyroException(PyroException.Kind.HOST_SETUP, "the registry " + client.registry()
                        + " answered a resume at byte " + have + " with bytes from " + start + "; delete " + partial
                        + " and pull again");
            }
        } else if (status == 200) {
            if (have > 0) {
                // The server ignored the range: start over.
                digest.reset();
                have = 0;
                truncate();
            }
        } else if (status == 416) {
            RegistryClient.close(response);
            deleteQuietly(partial);
            throw new PyroException(PyroException.Kind.HOST_SETUP, "the registry " + client.registry()
                    + " refused to resume " + descriptor.digest() + " (HTTP 416); the partial download was deleted:"
                    + " pull again");
        } else {
            byte[] body = client.readAll(response, 64 << 10, descriptor.digest());
            client.expect(response, body, 200, "downloading " + Digests.shortForm(descriptor.digest()) + " of " + ref);
        }
        return copy(response, have, digest);
    }

    private long copy(HttpResponse<InputStream> response, long have, MessageDigest digest) {
        AtomicLong lastProgressNanos = new AtomicLong(System.nanoTime());
        AtomicBoolean stalled = new AtomicBoolean();
        long timeoutNanos = client.settings().requestTimeout().toNanos();
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pyro-download-watchdog");
            t.setDaemon(true);
            return t;
        });
        InputStream in = response.body();
        watchdog.scheduleWithFixedDelay(() -> {
            if (System.nanoTime() - lastProgressNanos.get() > timeoutNanos) {
                stalled.set(true);
                RegistryClient.close(response);
            }
        }, 1, 1, TimeUnit.SECONDS);
        long received = 0;
        long total = have;
        try (FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            byte[] buffer = new byte[BUFFER];
            int n;
            while (total < descriptor.size() && (n = in.read(buffer, 0, (int) Math.min(buffer.length,
                    descriptor.size() - total))) > 0) {
                digest.update(buffer, 0, n);
                writeFully(out, buffer, n);
                received += n;
                total += n;
                lastProgressNanos.set(System.nanoTime());
                progress.accept(total);
            }
        } catch (IOException e) {
            if (stalled.get()) {
                throw new PyroException(PyroException.Kind.HOST_SETUP, "the download of "
                        + Digests.shortForm(descriptor.digest()) + " from " + client.registry() + " stalled for "
                        + client.settings().requestTimeout().toSeconds() + " s at byte " + total + "; run the pull again"
                        + " to resume it, or raise " + OciSettings.REQUEST_TIMEOUT, e);
            }
            if (DiskErrors.isDiskFull(e) || e.getClass().getName().startsWith("java.nio.file")) {
                throw DiskErrors.writing(partial, e);
            }
            throw new PyroException(PyroException.Kind.HOST_SETUP, "the download of "
                    + Digests.shortForm(descriptor.digest()) + " from " + client.registry() + " broke off at byte "
                    + total + " of " + descriptor.size() + " (" + RegistryErrors.rootMessage(e) + "); run the pull"
                    + " again to resume it", e);
        } finally {
            watchdog.shutdownNow();
            RegistryClient.close(response);
        }
        if (total < descriptor.size()) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "the download of "
                    + Digests.shortForm(descriptor.digest()) + " from " + client.registry() + " ended at byte " + total
                    + " of " + descriptor.size() + "; run the pull again to resume it");
        }
        return received;
    }

    private void writeFully(FileChannel out, byte[] buffer, int n) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(buffer, 0, n);
        while (bb.hasRemaining()) {
            out.write(bb);
        }
    }

    private void truncate() {
        try {
            Files.write(partial, new byte[0]);
        } catch (IOException e) {
            throw DiskErrors.writing(partial, e);
        }
    }

    private static long contentRangeStart(HttpResponse<?> response) {
        // Content-Range: bytes START-END/TOTAL
        String value = response.headers().firstValue("Content-Range").orElse("");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("bytes\\s+([0-9]+)-").matcher(value);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    static PyroException mismatch(String registry, ImageReference ref, Descriptor descriptor, String actual, long size) {
        String what = size != descriptor.size()
                ? "size " + size + " instead of " + descriptor.size()
                : "sha256 " + Digests.shortForm(actual) + " instead of " + Digests.shortForm(descriptor.digest());
        return new PyroException(PyroException.Kind.RUNTIME_NOT_READY, "the blob " + Digests.shortForm(descriptor.digest())
                + " of " + ref + " from " + registry + " has " + what + " (digest mismatch); the download was deleted"
                + " and nothing was installed; the registry's copy is corrupt: publish the environment again");
    }

    private static long sizeOf(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // Best effort: a later pull starts it over.
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
