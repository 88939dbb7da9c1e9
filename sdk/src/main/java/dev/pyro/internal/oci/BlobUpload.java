package dev.pyro.internal.oci;

import dev.pyro.PyroException;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One chunked blob upload (distribution spec, "pushing a blob in chunks"): {@code POST
 * /v2/<name>/blobs/uploads/} opens a session; each chunk is a {@code PATCH} with
 * {@code Content-Range: <start>-<end>} to the latest Location; {@code PUT <location>?digest=}
 * commits it. When a chunk fails on the network, the session's status ({@code GET <location>},
 * its {@code Range} header) says where to go on; each chunk gets three attempts. No cross-repository mounts.
 */
public final class BlobUpload {
    private static final Pattern RANGE = Pattern.compile("(?:bytes=)?0-([0-9]+)");
    private static final int ATTEMPTS = 3;

    /** Content to upload, read by offset. */
    @FunctionalInterface
    public interface Source {
        /** Reads {@code length} bytes starting at {@code offset}. */
        byte[] read(long offset, int length) throws IOException;

        /** A file's content. */
        static Source of(Path file) {
            return (offset, length) -> {
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                    ByteBuffer buffer = ByteBuffer.allocate(length);
                    while (buffer.hasRemaining()) {
                        if (channel.read(buffer, offset + buffer.position()) < 0) {
                            throw new IOException(file + " is shorter than expected");
                        }
                    }
                    return buffer.array();
                }
            };
        }

        /** Bytes in memory. */
        static Source of(byte[] bytes) {
            return (offset, length) -> java.util.Arrays.copyOfRange(bytes, (int) offset, (int) offset + length);
        }
    }

    private final RegistryClient client;
    private final ImageReference ref;
    private final String digest;
    private final long size;
    private final Source content;
    private final LongConsumer progress;

    BlobUpload(RegistryClient client, ImageReference ref, String digest, long size, Source content,
            LongConsumer progress) {
        this.client = client;
        this.ref = ref;
        this.digest = digest;
        this.size = size;
        this.content = content;
        this.progress = progress;
    }

    void run() {
        String scope = RegistryClient.pushScope(ref);
        HttpResponse<InputStream> opened = client.send(client.request(ref, "/blobs/uploads/")
                .POST(HttpRequest.BodyPublishers.noBody()), scope, client.settings().requestTimeout());
        byte[] body = client.readAll(opened, 64 << 10, "upload session");
        client.expect(opened, body, 202, "opening an upload of " + Digests.shortForm(digest) + " to " + ref);
        String location = location(opened);
        long offset = 0;
        int chunk = client.settings().chunkSize();
        while (offset < size) {
            int length = (int) Math.min(chunk, size - offset);
            byte[] bytes;
            try {
                bytes = content.read(offset, length);
            } catch (IOException e) {
                throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot read the content of "
                        + Digests.shortForm(digest) + " to upload (" + RegistryErrors.rootMessage(e) + ")", e);
            }
            long[] next = {offset};
            location = sendChunk(location, scope, offset, bytes, next);
            offset = next[0];
            progress.accept(offset);
        }
        String separator = location.contains("?") ? "&" : "?";
        HttpResponse<InputStream> committed = client.send(client.requestTo(location + separator + "digest="
                + RegistryClient.encode(digest)).PUT(HttpRequest.BodyPublishers.noBody()), scope,
                client.settings().requestTimeout());
        byte[] answer = client.readAll(committed, 64 << 10, "upload commit");
        if (committed.statusCode() == 400 && RegistryErrors.explain(answer).startsWith("DIGEST_INVALID")) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "the registry " + client.registry()
                    + " received other bytes than pyro sent for " + Digests.shortForm(digest) + " ("
                    + RegistryErrors.explain(answer) + "); publish again");
        }
        client.expect(committed, answer, 201, "committing the upload of " + Digests.shortForm(digest) + " to " + ref);
    }

    /** PATCHes one chunk; retries from the registry's reported offset. Returns the next location. */
    private String sendChunk(String location, String scope, long offset, byte[] bytes, long[] next) {
        long start = offset;
        PyroException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            int skip = (int) (start - offset);
            byte[] part = skip == 0 ? bytes : java.util.Arrays.copyOfRange(bytes, skip, bytes.length);
            try {
                HttpResponse<InputStream> response = client.send(client.requestTo(location)
                        .header("Content-Type", "application/octet-stream")
                        .header("Content-Range", start + "-" + (start + part.length - 1))
                        .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(part)), scope,
                        client.settings().uploadTimeout());
                byte[] answer = client.readAll(response, 64 << 10, "chunk upload");
                client.expect(response, answer, 202, "uploading bytes " + start + "-" + (start + part.length - 1)
                        + " of " + Digests.shortForm(digest) + " to " + ref);
                next[0] = start + part.length;
                return location(response);
            } catch (PyroException e) {
                boolean network = e.getMessage().startsWith("cannot reach the registry");
                if (!network || attempt == ATTEMPTS) {
                    if (network && RegistryErrors.has(e, java.net.http.HttpTimeoutException.class)) {
                        throw new PyroException(PyroException.Kind.HOST_SETUP, "uploading a chunk of "
                                + Digests.shortForm(digest) + " to " + client.registry() + " took longer than "
                                + client.settings().uploadTimeout().toSeconds() + " s; raise "
                                + OciSettings.UPLOAD_TIMEOUT + " or lower " + OciSettings.CHUNK_SIZE, e);
                    }
                    throw e;
                }
                last = e;
                long acknowledged = status(location, scope);
                if (acknowledged < offset || acknowledged > offset + bytes.length) {
                    throw last;
                }
                start = acknowledged;
                if (start == offset + bytes.length) {
                    next[0] = start;
                    return location;
                }
            }
        }
        throw last;
    }

    /** Bytes the registry holds for this upload session, from {@code GET <location>}. */
    private long status(String location, String scope) {
        HttpResponse<InputStream> response = client.send(client.requestTo(location).GET(), scope,
                client.settings().requestTimeout());
        client.readAll(response, 64 << 10, "upload status");
        Matcher m = RANGE.matcher(response.headers().firstValue("Range").orElse(""));
        return m.matches() ? Long.parseLong(m.group(1)) + 1 : 0;
    }

    private String location(HttpResponse<?> response) {
        return response.headers().firstValue("Location").orElseThrow(() -> new PyroException(
                PyroException.Kind.HOST_SETUP, "the registry " + client.registry() + " opened an upload without a"
                        + " Location header; it does not follow the distribution spec"));
    }
}
