package dev.pyro.internal.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class HostNetworkTest {
    @Test
    void theResolverIsTheFirstIpv4NameserverWhereverItIs() {
        assertThat(HostNetwork.resolver(List.of("# systemd-resolved", "nameserver 127.0.0.53", "options edns0")))
                .contains("127.0.0.53");
        assertThat(HostNetwork.resolver(List.of("nameserver fe80::1%eth0", "nameserver  192.168.1.1",
                "nameserver 1.1.1.1"))).contains("192.168.1.1");
        assertThat(HostNetwork.resolver(List.of("nameserver ::1", "search example.org"))).isEmpty();
        assertThat(HostNetwork.resolver(List.of())).isEmpty();
    }

    @Test
    void theHostsOwnAddressesIncludeItsLoopback() {
        assertThat(HostNetwork.ownAddresses()).contains(Ipv4Range.parseAddress("127.0.0.1").orElseThrow());
    }
}
