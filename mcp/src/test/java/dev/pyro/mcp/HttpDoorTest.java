package dev.pyro.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.Pyro;
import dev.pyro.PyroException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP door on the real transport (Jetty, the SDK's servlet) with the JDK's HTTP client:
 * the bearer token, the Origin rule, the body and concurrency bounds. No VM is needed; the
 * official TypeScript client does the same against the real launcher in McpHttpIT.
 */
class HttpDoorTest {
    private static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
            + "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";

    @TempDir
    Path tmp;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private HttpTransport start(Optional<Path> tokenFile, List<String> origins, HttpTransport.Limits limits)
            throws Exception {
        Pyro pyro = Pyro.builder().home(tmp.resolve("home")).cacheDir(tmp.resolve("cache"))
                .progress(new ProgressRouter()).build();
        PyroMcpServer server = new PyroMcpServer(pyro, Profile.VM_RUN);
        HttpTransport http = HttpTransport.start(server, new HttpTransport.Settings("127.0.0.1", 0, tokenFile,
                tmp.resolve("home"), origins, limits));
        open.add(http);
        return http;
    }

    private HttpTransport start() throws Exception {
        return start(Optional.empty(), List.of(), HttpTransport.Limits.DEFAULT);
    }

    private static String token(HttpTransport http) throws Exception {
        return Files.readString(http.tokenFile()).strip();
    }

    private HttpResponse<String> post(HttpTransport http, String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(http.url()))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void withoutTheTokenNothingIsServed() throws Exception {
        HttpTransport http = start();
        HttpResponse<String> none = post(http, INITIALIZE, Map.of());
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(none.body()).contains("Authorization: Bearer TOKEN").doesNotContain(token(http));
        assertThat(post(http, INITIALIZE, Map.of("Authorization", "Bearer " + token(http) + "x")).statusCode())
                .isEqualTo(401);
        assertThat(post(http, INITIALIZE, Map.of("Authorization", "Basic " + token(http))).statusCode()).isEqualTo(401);
        assertThat(client.send(HttpRequest.newBuilder(URI.create(http.url())).GET().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);

        HttpResponse<String> ok = post(http, INITIALIZE, Map.of("Authorization", "Bearer " + token(http)));
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(ok.body()).contains("\"serverInfo\"");
    }

    @Test
    void theGeneratedTokenFileIsTheOperatorsOnlyAndGoesWithTheServer() throws Exception {
        HttpTransport http = start();
        Path file = http.tokenFile();
        assertThat(file.getParent()).isEqualTo(tmp.resolve("home"));
        assertThat(file.getFileName().toString()).isEqualTo("mcp-http-" + URI.create(http.url()).getPort() + ".token");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(token(http)).hasSizeGreaterThanOrEqualTo(40).matches("[A-Za-z0-9_-]+");
        http.close();
        assertThat(file).doesNotExist();
    }

    @Test
    void theOperatorsTokenFileIsUsedAndMustBePrivate() throws Exception {
        Path file = tmp.resolve("token");
        Files.writeString(file, "0123456789abcdef0123\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> start(Optional.of(file), List.of(), HttpTransport.Limits.DEFAULT))
                .isInstanceOf(PyroException.class).hasMessageContaining("chmod 600 " + file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        HttpTransport http = start(Optional.of(file), List.of(), HttpTransport.Limits.DEFAULT);
        assertThat(post(http, INITIALIZE, Map.of("Authorization", "Bearer 0123456789abcdef0123")).statusCode())
                .isEqualTo(200);
        http.close();
        assertThat(file).exists(); // the operator's own file stays
        Files.writeString(file, "short\n");
        assertThatThrownBy(() -> start(Optional.of(file), List.of(), HttpTransport.Limits.DEFAULT))
                .hasMessageContaining("at least 16");
    }

    @Test
    void pagesOfOtherLocalOriginsAreRefusedUnlessListed() throws Exception {
        HttpTransport http = start();
        String auth = "Bearer " + token(http);
        HttpResponse<String> other = post(http, INITIALIZE, Map.of("Authorization", auth, "Origin", "http://localhost:1"));
        assertThat(other.statusCode()).isEqualTo(403);
        assertThat(other.body()).contains("Origin 'http://localhost:1'");
        assertThat(post(http, INITIALIZE, Map.of("Origin", "http://localhost:1")).statusCode()).isEqualTo(403);
        String own = "http://localhost:" + URI.create(http.url()).getPort();
        assertThat(post(http, INITIALIZE, Map.of("Authorization", auth, "Origin", own)).statusCode()).isEqualTo(200);

        HttpTransport listed = start(Optional.empty(), List.of("http://localhost:1"), HttpTransport.Limits.DEFAULT);
        String listedAuth = "Bearer " + token(listed);
        assertThat(post(listed, INITIALIZE, Map.of("Authorization", listedAuth, "Origin", "http://localhost:1"))
                .statusCode()).isEqualTo(200);
        HttpResponse<String> preflight = client.send(HttpRequest.newBuilder(URI.create(listed.url()))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "http://localhost:1")
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type, mcp-session-id")
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).hasValue("http://localhost:1");
        assertThat(post(listed, INITIALIZE, Map.of("Authorization", listedAuth, "Origin", "http://localhost:2"))
                .statusCode()).isEqualTo(403);
    }

    @Test
    void bodiesOverTheLimitAreRefusedBeforeTheyAreRead() throws Exception {
        HttpTransport http = start(Optional.empty(), List.of(), new HttpTransport.Limits(64 * 1024, 32, 32,
                Duration.ofSeconds(10)));
        String big = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"x\":\"" + "a".repeat(100 * 1024)
                + "\"}}";
        assertThat(post(http, big, Map.of("Authorization", "Bearer " + token(http))).statusCode()).isEqualTo(413);
        assertThat(post(http, big, Map.of()).statusCode()).as("no token, too big: refused either way, unread")
                .isIn(401, 413);
    }

    @Test
    void requestsServedAtOnceAreBounded() throws Exception {
        HttpTransport http = start(Optional.empty(), List.of(), new HttpTransport.Limits(4 * 1024 * 1024, 2, 1,
                Duration.ofSeconds(1)));
        String auth = "Bearer " + token(http);
        URI url = URI.create(http.url());
        List<Socket> held = new ArrayList<>();
        try {
            // Each session's GET is an SSE stream the server holds open: two of them fill the slots.
            for (int i = 0; i < 2; i++) {
                HttpResponse<String> init = post(http, INITIALIZE, Map.of("Authorization", auth));
                String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
                post(http, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
                        Map.of("Authorization", auth, "Mcp-Session-Id", session));
                Socket s = new Socket(url.getHost(), url.getPort());
                held.add(s);
                s.getOutputStream().write(("GET " + url.getPath() + " HTTP/1.1\r\nHost: " + url.getAuthority()
                        + "\r\nAccept: text/event-stream\r\nAuthorization: " + auth + "\r\nMcp-Session-Id: " + session
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
            }
            // Once both streams are in, a further request waits for a slot (1 s here), then gets 503.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            int status;
            long waited;
            do {
                long started = System.nanoTime();
                status = post(http, INITIALIZE, Map.of("Authorization", auth)).statusCode();
                waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            } while (status != 503 && System.nanoTime() < deadline);
            assertThat(status).isEqualTo(503);
            assertThat(waited).as("it waited for a slot first").isGreaterThanOrEqualTo(900);
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
