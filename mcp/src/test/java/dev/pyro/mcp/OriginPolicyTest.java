package dev.pyro.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class OriginPolicyTest {
    private final OriginPolicy loopback = new OriginPolicy("127.0.0.1", 8765, List.of());

    @Test
    void acceptsLoopbackHostsWithOrWithoutPort() {
        for (String host : new String[] {"127.0.0.1:8765", "localhost", "LOCALHOST:1", "[::1]:8765", "[::1]"}) {
            assertThat(loopback.refusal(host, null)).as(host).isEmpty();
        }
    }

    @Test
    void acceptsPagesOfThisServerOnly() {
        for (String origin : new String[] {"http://localhost:8765", "http://127.0.0.1:8765", "http://[::1]:8765",
                "HTTP://LocalHost:8765"}) {
            assertThat(loopback.refusal("127.0.0.1:8765", origin)).as(origin).isEmpty();
        }
    }

    @Test
    void refusesPagesOnOtherLocalPortsUnlessAllowed() {
        for (String origin : new String[] {"http://localhost:1", "http://localhost:3000", "https://127.0.0.1",
                "http://127.0.0.1", "https://localhost:8765", "http://[::1]:9"}) {
            assertThat(loopback.refusal("127.0.0.1:8765", origin)).as(origin).get().asString()
                    .contains("is not this server nor an origin allowed with --allow-origin");
        }
        OriginPolicy inspector = new OriginPolicy("127.0.0.1", 8765, List.of("http://localhost:6274", "http://LOCALHOST"));
        assertThat(inspector.refusal("127.0.0.1:8765", "http://localhost:6274")).isEmpty();
        assertThat(inspector.refusal("127.0.0.1:8765", "http://localhost:80")).isEmpty();
        assertThat(inspector.refusal("127.0.0.1:8765", "http://localhost")).isEmpty();
        assertThat(inspector.refusal("127.0.0.1:8765", "http://localhost:6275")).isPresent();
        assertThat(inspector.refusal("127.0.0.1:8765", "http://127.0.0.1:6274")).isPresent();
    }

    @Test
    void refusesForeignHostsAndOrigins() {
        assertThat(loopback.refusal("evil.example.com", null)).get().asString().contains("Host 'evil.example.com'");
        assertThat(loopback.refusal("evil.example.com:8765", "http://evil.example.com:8765")).isPresent();
        assertThat(loopback.refusal("127.0.0.1.evil.example.com", null)).isPresent();
        assertThat(loopback.refusal("127.0.0.1:8765", "http://evil.example.com")).get().asString()
                .contains("Origin 'http://evil.example.com'");
        assertThat(loopback.refusal("127.0.0.1:8765", "null")).isPresent();
        assertThat(loopback.refusal("127.0.0.1:8765", "file:///tmp/x.html")).isPresent();
        assertThat(loopback.refusal("127.0.0.1:8765", "http://localhost:8765/path")).isPresent();
        assertThat(loopback.refusal(null, null)).isPresent();
        assertThat(loopback.refusal("192.168.1.5:8765", null)).isPresent();
    }

    @Test
    void anExplicitlyBoundAddressIsAllowedToo() {
        OriginPolicy lan = new OriginPolicy("192.168.1.5", 8765, List.of());
        assertThat(lan.refusal("192.168.1.5:8765", "http://192.168.1.5:8765")).isEmpty();
        assertThat(lan.refusal("192.168.1.5:8765", "http://192.168.1.5:8766")).isPresent();
        assertThat(lan.refusal("localhost:8765", null)).isEmpty();
        assertThat(lan.refusal("evil.example.com", null)).isPresent();
    }

    @Test
    void originsAreNormalizedOrRefusedNamingTheForm() {
        assertThat(OriginPolicy.normalizeOrigin("HTTP://Example.COM")).isEqualTo("http://example.com:80");
        assertThat(OriginPolicy.normalizeOrigin("https://x:8443")).isEqualTo("https://x:8443");
        for (String bad : new String[] {"null", "localhost:3000", "ftp://x", "http://x/y", "http://u@x", "http://x?q"}) {
            assertThatThrownBy(() -> OriginPolicy.normalizeOrigin(bad)).as(bad)
                    .hasMessageContaining("an origin is scheme://host[:port]");
        }
    }

    @Test
    void hostNameStripsThePort() {
        assertThat(OriginPolicy.hostName("Example.com:80")).isEqualTo("example.com");
        assertThat(OriginPolicy.hostName("[::1]:80")).isEqualTo("[::1]");
        assertThat(OriginPolicy.hostName("::1")).isEqualTo("::1");
    }
}
