package dev.pyro.testsupport;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real CNCF distribution registry (Debian's {@code docker-registry}, 2.8) on 127.0.0.1 with
 * a random free port, filesystem storage in a temporary directory and its own config; optionally
 * with htpasswd basic auth or token auth. {@link #close()} stops it and deletes its storage.
 * Tests are skipped (with the install line) when the package is missing.
 */
public final class LocalRegistry implements AutoCloseable {
    public static final Path BINARY = Path.of(System.getProperty("pyro.test.registry", "/usr/bin/docker-registry"));

    private final Path dir;
    private final int port;
    private final Process process;

    private LocalRegistry(Path dir, int port, Process process) {
        this.dir = dir;
        this.port = port;
        this.process = process;
    }

    /** An anonymous registry. */
    public static LocalRegistry start() {
        return start("");
    }

    /** A registry that wants basic auth: users from an htpasswd file with bcrypt entries. */
    public static LocalRegistry startWithBasicAuth(String user, String password) {
        return start("auth:\n  htpasswd:\n    realm: pyro-test\n    path: HTPASSWD\n", user, password);
    }

    /**
     * A registry that wants bearer tokens from {@code realm}, signed by the key whose
     * self-signed certificate is {@code certPem} (the registry trusts exactly that certificate).
     */
    public static LocalRegistry startWithTokenAuth(String realm, String service, String issuer, String certPem) {
        return start("auth:\n  token:\n    realm: " + realm + "\n    service: " + service + "\n    issuer: " + issuer
                + "\n    rootcertbundle: CERTS\n", certPem);
    }

    private static LocalRegistry start(String authYaml, String... extra) {
        assumeTrue(Files.isExecutable(BINARY), "the OCI registry tests need Debian's docker-registry: apt-get install -y"
                + " docker-registry");
        try {
            Path dir = Files.createTempDirectory("pyro-registry-");
            Path storage = Files.createDirectories(dir.resolve("storage"));
            String auth = authYaml;
            if (auth.contains("HTPASSWD")) {
                Path htpasswd = dir.resolve("htpasswd");
                Files.writeString(htpasswd, extra[0] + ":" + bcrypt(extra[1]) + "\n");
                auth = auth.replace("HTPASSWD", htpasswd.toString());
            }
            if (auth.contains("CERTS")) {
                Path certs = dir.resolve("token-certs.pem");
                Files.writeString(certs, extra[0]);
                auth = auth.replace("CERTS", certs.toString());
            }
            int port = freePort();
            String config = "version: 0.1\n"
                    + "log:\n  level: error\n  accesslog:\n    disabled: true\n"
                    + "storage:\n  filesystem:\n    rootdirectory: " + storage + "\n  delete:\n    enabled: true\n"
                    + "http:\n  addr: 127.0.0.1:" + port + "\n"
                    + auth;
            Path configFile = dir.resolve("config.yml");
            Files.writeString(configFile, config);
            Process process = new ProcessBuilder(BINARY.toString(), "serve", configFile.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("registry.log").toFile())
                    .start();
            LocalRegistry registry = new LocalRegistry(dir, port, process);
            registry.awaitReady();
            return registry;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code 127.0.0.1:PORT}. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** Where the registry stores blobs and manifests. */
    public Path storage() {
        return dir.resolve("storage");
    }

    /** The file of a stored blob ({@code docker/registry/v2/blobs/sha256/ab/abcd.../data}). */
    public Path blobFile(String digest) {
        String hex = digest.substring("sha256:".length());
        return storage().resolve("docker/registry/v2/blobs/sha256").resolve(hex.substring(0, 2)).resolve(hex)
                .resolve("data");
    }

    /** The registry's log, for failure messages. */
    public String log() {
        try {
            return Files.readString(dir.resolve("registry.log"));
        } catch (IOException e) {
            return "";
        }
    }

    /** Stops the registry (SIGTERM, then SIGKILL) but keeps its storage, to test "registry down". */
    public void stop() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // Best effort.
        }
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("docker-registry exited: " + log());
            }
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://" + address() + "/v2/").toURL()
                        .openConnection();
                c.setConnectTimeout(500);
                c.setReadTimeout(2000);
                int status = c.getResponseCode();
                c.disconnect();
                if (status == 200 || status == 401) {
                    return;
                }
            } catch (IOException e) {
                // Not listening yet.
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        stop();
        throw new IllegalStateException("docker-registry did not start in 20 s: " + log());
    }

    /**
     * A bcrypt hash for htpasswd, made by the system's crypt(3) through perl (perl-base is
     * essential in Debian, and Debian's libcrypt (libxcrypt) implements {@code $2b$}).
     */
    static String bcrypt(String password) throws IOException {
        String alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        java.security.SecureRandom random = new java.security.SecureRandom();
        StringBuilder salt = new StringBuilder("$2b$05$");
        for (int i = 0; i < 22; i++) {
            salt.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        List<String> argv = new ArrayList<>(List.of("perl", "-e", "print crypt($ARGV[0], $ARGV[1])", password,
                salt.toString()));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!out.startsWith("$2b$05$") || out.length() != 60) {
            throw new IllegalStateException("this system's crypt(3) cannot make bcrypt hashes: " + out);
        }
        return out;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
