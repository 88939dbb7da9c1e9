package dev.pyro.internal.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyro.PortMapping;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tap back end's nftables rules: what each chain lets the guest reach (docs/networking.md). */
class TapRulesetTest {
    static final String DEV = TapNetwork.deviceName("a1b2c3d4");
    static final String IIF = "iifname \"" + DEV + "\" ";
    static final String OIF = "oifname \"" + DEV + "\" ";

    static String rules(List<Integer> hostPorts, List<PortMapping> publish, Optional<String> resolver, String... nets) {
        return TapNetwork.ruleset(NetworkPlanTest.plan(Backend.TAP, hostPorts, publish, nets), DEV, resolver);
    }

    static String chain(String rules, String name) {
        int start = rules.indexOf("  chain " + name + " {");
        assertThat(start).as("chain " + name).isNotNegative();
        return rules.substring(start, rules.indexOf("\n  }\n", start));
    }

    @Test
    void oneInetTableWhoseRulesAllNameTheVmsDevice() {
        assertThat(TapNetwork.deviceName("0123456789abcdef")).hasSizeLessThanOrEqualTo(15).startsWith("pt");
        String r = rules(List.of(8000), List.of(new PortMapping(8080, 80)), Optional.of("127.0.0.53"), "192.168.1.0/24");
        assertThat(r).startsWith("table inet pyro_" + DEV + " {\n");
        for (String chain : List.of("input", "forward")) {
            for (String line : chain(r, chain).split("\n")) {
                if (line.startsWith("    ") && !line.contains("type filter")) {
                    assertThat(line).as("%s rule touches only the VM's device", chain).containsAnyOf(IIF, OIF);
                }
            }
        }
    }

    @Test
    void theGuestReachesPublicAddressesOnlyAndNoOtherGuest() {
        String forward = chain(rules(List.of(), List.of(), Optional.empty()), "forward");
        assertThat(forward).contains(IIF + "meta nfproto ipv6 drop", OIF + "meta nfproto ipv6 drop",
                IIF + "ip saddr != 10.213.0.22 drop", IIF + "ip daddr 10.213.0.0/16 drop",
                OIF + "ct state established,related accept", OIF + "drop");
        String blocked = EgressRanges.ranges().stream().map(Ipv4Range::toString).reduce((a, b) -> a + ", " + b).orElseThrow();
        assertThat(forward).contains(IIF + "ip daddr { " + blocked + " } drop");
        assertThat(forward).contains("169.254.0.0/16", "100.64.0.0/10", "172.16.0.0/12", "224.0.0.0/4");
        assertThat(forward.lines().filter(l -> l.contains(IIF) && l.endsWith("accept"))).as("nothing opened").isEmpty();
        assertThat(chain(rules(List.of(), List.of(), Optional.empty()), "input")).contains(IIF + "drop")
                .doesNotContain("127.0.0.1");
    }

    @Test
    void allowNetIsAcceptedAfterTheGuestPoolIsDroppedAndBeforeTheBlockedRanges() {
        String forward = chain(rules(List.of(), List.of(), Optional.empty(), "10.0.0.0/8", "10.1.0.0/16",
                "169.254.169.254/32"), "forward");
        String open = IIF + "ip daddr { 10.0.0.0/8, 169.254.169.254/32 } accept";
        assertThat(forward).contains(open);
        assertThat(forward.indexOf(IIF + "ip daddr 10.213.0.0/16 drop")).isLessThan(forward.indexOf(open));
        assertThat(forward.indexOf(open)).isLessThan(forward.indexOf(IIF + "ip daddr { 0.0.0.0/8"));
        assertThat(chain(rules(List.of(), List.of(), Optional.empty(), "192.168.1.0/24"), "forward"))
                .contains(IIF + "ip daddr 192.168.1.0/24 accept");
    }

    @Test
    void hostAccessIsTheListedLoopbackPortsOnlyAndOnlyThroughTheGateway() {
        String r = rules(List.of(8000, 5432), List.of(), Optional.empty());
        assertThat(chain(r, "prerouting")).contains(IIF + "ip daddr 10.213.0.21 tcp dport { 8000, 5432 } dnat ip to 127.0.0.1",
                IIF + "ip daddr 10.213.0.21 udp dport { 8000, 5432 } dnat ip to 127.0.0.1");
        String input = chain(r, "input");
        assertThat(input).contains(IIF + "ip daddr 127.0.0.1 meta l4proto { tcp, udp } th dport { 8000, 5432 } ct status"
                + " dnat accept");
        // A crafted packet straight to 127.0.0.1 is not DNATed: it meets the final drop.
        assertThat(input).doesNotContain("ip daddr 127.0.0.1 accept").endsWith(IIF + "drop");
        assertThat(input.indexOf(IIF + "ip saddr != 10.213.0.22 drop"))
                .isLessThan(input.indexOf("ct state established,related accept"));
        assertThat(chain(rules(List.of(8000), List.of(), Optional.empty()), "prerouting"))
                .contains("tcp dport 8000 dnat ip to 127.0.0.1");
        assertThat(rules(List.of(), List.of(), Optional.empty())).doesNotContain("dnat ip to 127.0.0.1");
    }

    @Test
    void dnsToTheGatewayGoesToTheHostsResolverWhereverItIs() {
        for (String resolver : List.of("127.0.0.53", "192.168.1.1", "203.0.113.53")) {
            String r = rules(List.of(), List.of(), Optional.of(resolver));
            assertThat(chain(r, "prerouting")).contains(IIF + "ip daddr 10.213.0.21 udp dport 53 dnat ip to " + resolver
                    + ":53", IIF + "ip daddr 10.213.0.21 tcp dport 53 dnat ip to " + resolver + ":53");
            String exactlyDns = IIF + "ip daddr " + resolver + " meta l4proto { tcp, udp } th dport 53 ct status dnat accept";
            assertThat(chain(r, "input")).contains(exactlyDns); // a resolver on the host
            String forward = chain(r, "forward");
            assertThat(forward).contains(exactlyDns); // a resolver elsewhere, even on a private address
            assertThat(forward.indexOf(exactlyDns)).isLessThan(forward.indexOf(IIF + "ip daddr { 0.0.0.0/8"));
        }
        assertThat(rules(List.of(), List.of(), Optional.empty())).doesNotContain("dport 53");
    }

    @Test
    void aPlanFromWhenTheGuestAskedTheResolverDirectlyStillGetsExactlyDns() {
        NetworkPlan old = new NetworkPlan(dev.pyro.NetworkPolicy.EGRESS, Backend.TAP, 5, Optional.of("192.168.1.1"),
                List.of(), List.of(), Optional.of(DEV), List.of());
        String r = TapNetwork.ruleset(old, DEV, Optional.of("127.0.0.53"));
        assertThat(chain(r, "forward")).contains(IIF + "ip daddr 192.168.1.1 meta l4proto { tcp, udp } th dport 53 accept");
        assertThat(r).doesNotContain("127.0.0.53");
    }

    @Test
    void publishedPortsDnatTheHostsLoopbackToTheGuest() {
        String r = rules(List.of(), List.of(new PortMapping(8080, 80)), Optional.empty());
        assertThat(chain(r, "output")).contains("ip daddr 127.0.0.1 tcp dport 8080 dnat ip to 10.213.0.22:80");
        assertThat(chain(r, "postrouting")).contains("ip saddr 10.213.0.22 oifname != \"" + DEV + "\" masquerade",
                OIF + "ip saddr 127.0.0.1 masquerade");
    }

    /** nft itself accepts the rules (a check run in a network namespace of its own: nothing is applied). */
    @Test
    void nftAcceptsTheRuleset(@TempDir Path dir) throws Exception {
        Optional<Path> nft = HostNetwork.tool("nft");
        Optional<Path> unshare = HostNetwork.tool("unshare");
        Assumptions.assumeTrue(nft.isPresent() && unshare.isPresent() && HostNetwork.hasNetAdmin(),
                "needs nft, unshare and CAP_NET_ADMIN");
        String r = rules(List.of(8000, 5432), List.of(new PortMapping(8080, 80)), Optional.of("127.0.0.53"),
                "10.0.0.0/8", "192.168.1.0/24");
        Path file = dir.resolve("rules.nft");
        Files.writeString(file, r, StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(unshare.get().toString(), "--net", nft.get().toString(), "-c", "-f", file.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out + "\n" + r).isZero();
    }
}
