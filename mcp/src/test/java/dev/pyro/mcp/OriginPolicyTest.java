package dev.pyro.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OriginPolicyTest {
    private final OriginPolicy loopback = new OriginPolicy("127.0.0.1");

    @Test
    void acceptsLoopbackHostsWithOrWithoutPort() {
        for (String host : new String[] {"127.0.0.1:8765", "localhost", "LOCALHOST:1", "[::1]:8765", "[::1]"}) {
            assertThat(loopback.refusal(host, null)).as(host).isEmpty();
        }
    }

    @Test
    void acceptsLocalOrigins() {
        for (String origin : new String[] {"http://localhost:3000", "https://127.0.0.1", "http://[::1]:9"}) {
            assertThat(loopback.refusal("127.0.0.1:8765", origin)).as(origin).isEmpty();
        }
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
        assertThat(loopback.refusal(null, null)).isPresent();
        assertThat(loopback.refusal("192.168.1.5:8765", null)).isPresent();
    }

    @Test
    void anExplicitlyBoundAddressIsAllowedToo() {
        OriginPolicy lan = new OriginPolicy("192.168.1.5");
        assertThat(lan.refusal("192.168.1.5:8765", "http://192.168.1.5:8765")).isEmpty();
        assertThat(lan.refusal("localhost:8765", null)).isEmpty();
        assertThat(lan.refusal("evil.example.com", null)).isPresent();
    }

    @Test
    void hostNameStripsThePort() {
        assertThat(OriginPolicy.hostName("Example.com:80")).isEqualTo("example.com");
        assertThat(OriginPolicy.hostName("[::1]:80")).isEqualTo("[::1]");
        assertThat(OriginPolicy.hostName("::1")).isEqualTo("::1");
    }
}
