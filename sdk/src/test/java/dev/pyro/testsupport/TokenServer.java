package dev.pyro.testsupport;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A Docker registry token service (the distribution "token authentication" protocol) for
 * tests: {@code GET /token?service=S&scope=repository:NAME:ACTIONS} answers a JWT signed RS256
 * with a key whose self-signed certificate (made by the JDK's keytool) the registry is told to
 * trust. Anonymous callers get {@code pull}; the one configured login gets what it asks for; a
 * wrong password gets 401. The registry verifies the tokens itself: the signature, issuer,
 * audience, expiry and granted actions.
 */
public final class TokenServer implements AutoCloseable {
    public static final String SERVICE = "pyro-test-registry";
    public static final String ISSUER = "pyro-test-issuer";

    private final HttpServer server;
    private final PrivateKey key;
    private final String certPem;
    private final String certDerBase64;
    private final String user;
    private final String password;
    /** Each request: whether it carried a login, and the scope. */
    public final List<String> requests = new CopyOnWriteArrayList<>();

    public TokenServer(Path workDir, String user, String password) {
        this.user = user;
        this.password = password;
        try {
            Path keystore = workDir.resolve("token.p12");
            keytool(List.of("-genkeypair", "-alias", "token", "-keyalg", "RSA", "-keysize", "2048", "-dname",
                    "CN=pyro-test-token", "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
                    "-storepass", "changeit", "-keypass", "changeit"));
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (var in = Files.newInputStream(keystore)) {
                ks.load(in, "changeit".toCharArray());
            }
            key = (PrivateKey) ks.getKey("token", "changeit".toCharArray());
            Certificate cert = ks.getCertificate("token");
            certDerBase64 = Base64.getEncoder().encodeToString(cert.getEncoded());
            certPem = "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(cert.getEncoded()) + "\n-----END CERTIFICATE-----\n";
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
            server.createContext("/token", this::token);
            server.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the token service: " + e, e);
        }
    }

    public String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    /** The certificate the registry must trust (rootcertbundle). */
    public String certificatePem() {
        return certPem;
    }

    private void token(HttpExchange exchange) throws IOException {
        String query = exchange.getRequestURI().getRawQuery() == null ? "" : exchange.getRequestURI().getRawQuery();
        List<String> scopes = new ArrayList<>();
        String service = null;
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq < 0) {
                continue;
            }
            String name = pair.substring(0, eq);
            String value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            if (name.equals("scope")) {
                scopes.add(value);
            } else if (name.equals("service")) {
                service = value;
            }
        }
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        boolean loggedIn = false;
        if (auth != null) {
            String decoded = auth.startsWith("Basic ")
                    ? new String(Base64.getDecoder().decode(auth.substring(6)), StandardCharsets.UTF_8) : "";
            if (!decoded.equals(user + ":" + password)) {
                requests.add("rejected " + scopes);
                respond(exchange, 401, "{\"details\":\"incorrect username or password\"}");
                return;
            }
            loggedIn = true;
        }
        requests.add((loggedIn ? "login " : "anonymous ") + scopes);
        if (!SERVICE.equals(service)) {
            respond(exchange, 400, "{\"details\":\"unknown service\"}");
            return;
        }
        StringBuilder access = new StringBuilder("[");
        for (String scope : scopes) {
            for (String one : scope.split(" ")) {
                String[] parts = one.split(":");
                if (parts.length != 3 || !parts[0].equals("repository")) {
                    continue;
                }
                List<String> granted = new ArrayList<>();
                for (String action : parts[2].split(",")) {
                    if (action.equals("pull") || loggedIn) {
                        granted.add("\"" + action + "\"");
                    }
                }
                if (access.length() > 1) {
                    access.append(',');
                }
                access.append("{\"type\":\"repository\",\"name\":\"").append(parts[1]).append("\",\"actions\":[")
                        .append(String.join(",", granted)).append("]}");
            }
        }
        access.append(']');
        long now = System.currentTimeMillis() / 1000;
        String header = "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5c\":[\"" + certDerBase64 + "\"]}";
        String claims = "{\"iss\":\"" + ISSUER + "\",\"sub\":\"" + (loggedIn ? user : "") + "\",\"aud\":\"" + SERVICE
                + "\",\"exp\":" + (now + 300) + ",\"nbf\":" + (now - 10) + ",\"iat\":" + now + ",\"jti\":\""
                + UUID.randomUUID() + "\",\"access\":" + access + "}";
        String signingInput = b64(header.getBytes(StandardCharsets.UTF_8)) + "." + b64(claims.getBytes(StandardCharsets.UTF_8));
        try {
            Signature rsa = Signature.getInstance("SHA256withRSA");
            rsa.initSign(key);
            rsa.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            String jwt = signingInput + "." + b64(rsa.sign());
            respond(exchange, 200, "{\"token\":\"" + jwt + "\",\"expires_in\":300}");
        } catch (Exception e) {
            respond(exchange, 500, "{}");
        }
    }

    private static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (var out = exchange.getResponseBody()) {
            new ByteArrayInputStream(bytes).transferTo(out);
        }
    }

    private static void keytool(List<String> args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        argv.addAll(args);
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new UncheckedIOException(new IOException("keytool failed: " + out));
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
