package dev.pyro.internal.oci;

import dev.pyro.PyroException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.zip.GZIPInputStream;

/**
 * Packs and unpacks layer content. zstd is run as the host's {@code zstd} program (multi-threaded,
 * ~1 GB/s to unpack here); gzip layers, which pyro does not produce but accepts, are read with
 * the JDK. Unpacking hashes the output as it is written, so the installed file is checked in
 * the same pass.
 */
public final class LayerCodec {
    private static final int BUFFER = 1 << 20;

    private final Path zstd;

    /** @param zstd the {@code zstd} program, or null when no zstd layer will be handled */
    public LayerCodec(Path zstd) {
        this.zstd = zstd;
    }

    /** Compresses {@code file} with zstd at {@code level} into {@code out} (all cores). */
    public void compressZstd(Path file, Path out, int level) {
        List<String> argv = List.of(requireZstd().toString(), "-q", "-f", "-T0", "-" + level, "-o", out.toString(),
                file.toString());
        run(argv, "compressing " + file.getFileName());
    }

    /**
     * Writes the content of {@code blob} decompressed into {@code out}.
     *
     * @param progress receives the bytes written so far
     * @return the SHA-256 (hex) of what was written
     */
    public String unpack(Path blob, MediaTypes.Compression compression, Path out, LongConsumer progress) {
        return switch (compression) {
            case NONE -> {
                try (InputStream in = Files.newInputStream(blob)) {
                    yield copy(in, out, progress);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + blob, e);
                }
            }
            case GZIP -> {
                try (InputStream in = new GZIPInputStream(Files.newInputStream(blob), BUFFER)) {
                    yield copy(in, out, progress);
                } catch (java.util.zip.ZipException e) {
                    throw corrupt(blob, e.getMessage());
                } catch (IOException e) {
                    if (e.getClass() == java.io.EOFException.class) {
                        throw corrupt(blob, "unexpected end of the gzip stream");
                    }
                    throw new UncheckedIOException("cannot read " + blob, e);
                }
            }
            case ZSTD -> unzstd(blob, out, progress);
        };
    }

    private String unzstd(Path blob, Path out, LongConsumer progress) {
        Process process;
        try {
            process = new ProcessBuilder(requireZstd().toString(), "-d", "-q", "-c", blob.toString())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot run " + zstd + " (" + e.getMessage()
                    + "); install it with: apt-get install -y zstd");
        }
        CompletableFuture<byte[]> stderr = CompletableFuture.supplyAsync(() -> {
            try {
                return process.getErrorStream().readAllBytes();
            } catch (IOException e) {
                return new byte[0];
            }
        });
        String sha;
        try (InputStream in = process.getInputStream()) {
            sha = copy(in, out, progress);
        } catch (IOException e) {
            process.destroyForcibly();
            throw new UncheckedIOException("cannot read the output of zstd", e);
        } catch (RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw corrupt(blob, "zstd did not finish");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new PyroException(PyroException.Kind.CANCELLED, "interrupted while unpacking " + blob.getFileName());
        }
        if (process.exitValue() != 0) {
            String message = new String(stderr.join(), StandardCharsets.UTF_8).strip();
            throw corrupt(blob, message.isEmpty() ? "zstd exited with " + process.exitValue()
                    : message.lines().findFirst().orElse(message));
        }
        return sha;
    }

    private static String copy(InputStream in, Path out, LongConsumer progress) {
        MessageDigest digest = sha256();
        long total = 0;
        try (FileChannel channel = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            byte[] buffer = new byte[BUFFER];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
                ByteBuffer bb = ByteBuffer.wrap(buffer, 0, n);
                while (bb.hasRemaining()) {
                    channel.write(bb);
                }
                total += n;
                progress.accept(total);
            }
        } catch (IOException e) {
            if (DiskErrors.isDiskFull(e) || !isReadSide(e)) {
                throw DiskErrors.writing(out, e);
            }
            throw new UncheckedIOException(e);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static boolean isReadSide(IOException e) {
        return e instanceof java.util.zip.ZipException || e instanceof java.io.EOFException;
    }

    private void run(List<String> argv, String what) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor() != 0) {
                if (output.contains("No space left")) {
                    throw new PyroException(PyroException.Kind.HOST_SETUP, what + " failed: no space left on the file"
                            + " system of " + argv.get(argv.size() - 2) + "; free space there or set PYRO_CACHE_DIR to a"
                            + " larger disk");
                }
                throw new PyroException(PyroException.Kind.BUILD_FAILED, what + " with zstd failed: "
                        + output.lines().findFirst().orElse("exit " + p.exitValue()));
            }
        } catch (IOException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot run " + argv.get(0) + " (" + e.getMessage()
                    + "); install it with: apt-get install -y zstd");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PyroException(PyroException.Kind.CANCELLED, "interrupted while " + what);
        }
    }

    private Path requireZstd() {
        if (zstd == null) {
            throw new IllegalStateException("no zstd program was resolved");
        }
        return zstd;
    }

    private static PyroException corrupt(Path blob, String why) {
        return new PyroException(PyroException.Kind.RUNTIME_NOT_READY, "the layer " + blob.getFileName()
                + " does not unpack (" + why + "); nothing was installed; the published environment is broken:"
                + " publish it again");
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
