package dev.pyro.cli;

import static dev.pyro.cli.PyroProcess.LAUNCHER;
import static dev.pyro.cli.PyroProcess.ROOT;
import static dev.pyro.cli.PyroProcess.pyro;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Guest networking end to end through the CLI, with real VMs (docs/networking.md, the network
 * doors of docs/security.md). Traffic goes only to the host's loopback and to network namespaces
 * this test creates: the tap back end and all egress tests run pyro inside a "host" namespace
 * whose only way out is a veth to a "world" namespace with servers on a public (documentation)
 * address and on addresses a guest must not reach ({@link NetNs}).
 */
class CliNetworkIT {
    static final String ENV = "debian:12"; // has curl and perl
    static final JsonMapper JSON = JsonMapper.builder().build();
    /** A name only the world namespace's nameserver knows (it answers with the world's address). */
    static final String WORLD_NAME = "blob.pyro.test";

    @TempDir
    static Path home;
    @TempDir
    static Path files;
    static byte[] blob;
    static String blobSha;
    static HttpServer loopbackServer;
    static NetNs ns;

    @BeforeAll
    static void setUp() throws Exception {
        PyroProcess.Result r = pyro(home, "runtime", "materialize", ENV);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        blob = new byte[300_000];
        new Random(42).nextBytes(blob);
        blobSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));
        Files.write(files.resolve("blob"), blob);
        loopbackServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        loopbackServer.createContext("/blob", exchange -> {
            exchange.sendResponseHeaders(200, blob.length);
            try (var out = exchange.getResponseBody()) {
                out.write(blob);
            }
        });
        loopbackServer.start();
        ns = NetNs.create();
        ns.serveBlob(8099, files.resolve("blob"));
        ns.serveDns(WORLD_NAME);
        ns.serveBlobOnHostLoopback(8098, files.resolve("blob"));
        ns.serveBlobOnHostLoopback(8096, files.resolve("blob")); // a host service nobody allows
        ns.serveBlobOnHostWildcard(8095, files.resolve("blob")); // on the host's own address and loopback
    }

    @AfterAll
    static void tearDown() {
        if (loopbackServer != null) {
            loopbackServer.stop(0);
        }
        if (ns != null) {
            ns.close();
        }
    }

    static JsonNode json(PyroProcess.Result r) {
        assertThat(r.exitCode()).as("stdout: %s stderr: %s", r.out(), r.stderr()).isZero();
        return JSON.readTree(r.out());
    }

    static PyroProcess.Result pyroInHost(String... args) {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        return PyroProcess.run(home, Map.of(), ROOT, ns.inHost(cmd));
    }

    /** bash: sets $gw to the guest's default gateway, read from /proc/net/route (the guest has no ip tool). */
    static final String GATEWAY = "g=$(awk '$2==\"00000000\"{print $3}' /proc/net/route); "
            + "gw=$(printf '%d.%d.%d.%d' 0x${g:6:2} 0x${g:4:2} 0x${g:2:2} 0x${g:0:2}); echo gateway=$gw; ";

    /** Whether the guest knows host.pyro.internal (the agent writes it to /etc/hosts only with allow-host). */
    static final String NO_NAME = "grep -q host.pyro.internal /etc/hosts || echo no-name; ";

    static String fetch(String url) {
        return "rm -f /tmp/blob; curl -sS --max-time 20 " + url + " -o /tmp/blob; echo curl=$?; "
                + "sha256sum /tmp/blob 2>/dev/null; true";
    }

    @ParameterizedTest
    @ValueSource(strings = {"user", "tap"})
    void allowHostReachesTheListedHostPortByteExactAndNoOtherPort(String backend) {
        // Both are served on the host namespace's loopback; only 8098 is listed.
        JsonNode r = json(pyroInHost("run", ENV, "--network-backend", backend, "--allow-host", "8098", "--json", "--",
                "sh", "-c", "echo first; " + fetch("http://host.pyro.internal:8098/blob") + "; echo second; "
                        + fetch("http://host.pyro.internal:8096/blob").replace("--max-time 20", "--max-time 5")));
        String out = r.get("stdout").asString();
        assertThat(out).as(r.toString()).contains("second");
        assertThat(out.substring(0, out.indexOf("second"))).as(r.toString()).contains("curl=0", blobSha);
        assertThat(out.substring(out.indexOf("second"))).as("the port not listed").doesNotContain("curl=0", blobSha);
        JsonNode net = r.get("network");
        assertThat(net.get("network_policy").asString()).isEqualTo("egress");
        assertThat(net.get("backend").asString()).isEqualTo(backend);
        assertThat(net.get("allow_host").asBoolean()).isTrue();
        assertThat(net.get("allow_host_ports").toString()).isEqualTo("[8098]");
        assertThat(net.get("host_alias").get("name").asString()).isEqualTo("host.pyro.internal");
        assertThat(net.get("host_alias").get("address").asString()).isEqualTo(net.get("gateway").asString());
        assertNothingLeftInHostNamespace();
    }

    @Test
    void egressAloneNeverReachesTheHostLoopback() {
        int port = loopbackServer.getAddress().getPort();
        // Not by name (there is none), not through the gateway (user-mode NAT's known hole: closed).
        JsonNode r = json(pyro(home, "run", ENV, "--network", "--json", "--", "bash", "-c",
                NO_NAME + GATEWAY + fetch("http://$gw:" + port + "/blob")));
        String out = r.get("stdout").asString();
        assertThat(out).contains("no-name", "gateway=" + r.get("network").get("gateway").asString())
                .doesNotContain("curl=0").doesNotContain(blobSha);
        assertThat(r.get("network").get("allow_host").asBoolean()).isFalse();
        assertThat(r.get("network").get("host_alias").isNull()).isTrue();
    }

    @Test
    void framesAGuestCraftsForTheHostLoopbackNeverArrive() throws Exception {
        // Guest root can address raw frames to 127.0.0.1; passt would connect them to the
        // host's loopback (seen before the frame relay existed). Here nothing may arrive.
        String script = new String(CliNetworkIT.class.getResourceAsStream("/raw-syn.pl").readAllBytes(),
                StandardCharsets.UTF_8);
        java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try (Socket s = server.accept()) {
                        accepted.incrementAndGet();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            acceptor.start();
            for (String backend : List.of("user")) {
                PyroProcess.Result r = pyro(home, "run", ENV, "--network", "--network-backend", backend, "--", "perl",
                        "-e", script, "127.0.0.1", Integer.toString(server.getLocalPort()));
                assertThat(r.exitCode()).as(r.stderr()).isZero();
                assertThat(r.out()).contains("sent SYN frames to 127.0.0.1");
            }
            Thread.sleep(2000);
            assertThat(accepted.get()).as("connections that reached the host's loopback").isZero();
        }
        // The tap back end, inside the host namespace: its loopback must not see them either.
        Path count = files.resolve("raw-count");
        ns.countOnHostLoopback(8097, count);
        PyroProcess.Result tap = pyroInHost("run", ENV, "--network", "--network-backend", "tap", "--", "perl", "-e",
                script, "127.0.0.1", "8097");
        assertThat(tap.exitCode()).as(tap.stderr()).isZero();
        assertThat(tap.out()).contains("sent SYN frames to 127.0.0.1");
        Thread.sleep(2000);
        assertThat(Files.readString(count).strip()).as("connections on the host namespace's loopback").isEqualTo("0");
        // The witness works: a connection the guest is allowed to make (allow-host) is counted.
        PyroProcess.Result allowed = pyroInHost("run", ENV, "--network", "--network-backend", "tap", "--allow-host",
                "8097", "--", "bash", "-c", "exec 3<>/dev/tcp/host.pyro.internal/8097 && echo connected");
        assertThat(allowed.out()).as(allowed.stderr()).contains("connected");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Files.readString(count).strip())
                .isEqualTo("1"));
        assertNothingLeftInHostNamespace();
    }

    @Test
    void withoutANetworkTheGuestHasNoNetworkDeviceAndResultsSaySo() {
        JsonNode r = json(pyro(home, "run", ENV, "--json", "--", "sh", "-c", "cat /proc/net/dev"));
        assertThat(r.get("stdout").asString()).contains("lo:").doesNotContain("eth0");
        assertThat(r.get("network").get("network_policy").asString()).isEqualTo("off");
        assertThat(r.get("network").get("network_enabled").asBoolean()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"user", "tap"})
    void egressReachesAServerInAnotherNamespaceAndOnlyWithANetwork(String backend) {
        String url = "http://" + NetNs.WORLD_ADDR + ":8099/blob";
        JsonNode r = json(pyroInHost("run", ENV, "--network", "--network-backend", backend, "--json", "--", "sh", "-c",
                fetch(url)));
        assertThat(r.get("stdout").asString()).as(r.toString()).contains("curl=0", blobSha);
        assertThat(r.get("network").get("backend").asString()).isEqualTo(backend);
        JsonNode off = json(pyroInHost("run", ENV, "--json", "--", "sh", "-c", fetch(url)));
        assertThat(off.get("stdout").asString()).doesNotContain("curl=0").doesNotContain(blobSha);
        assertNothingLeftInHostNamespace();
    }

    @ParameterizedTest
    @CsvSource({"user, " + NetNs.PRIVATE_ADDR, "tap, " + NetNs.PRIVATE_ADDR, "user, " + NetNs.LOOPBACK_RESOLVER,
            "tap, " + NetNs.LOOPBACK_RESOLVER})
    void theGuestResolvesNamesThroughTheHostsResolverEvenOnAPrivateOrLoopbackAddress(String backend, String resolver)
            throws IOException {
        // The host namespace's resolv.conf names a resolver the guest itself may not reach (a private
        // address, or the host's loopback); nothing is set in the guest. Exactly DNS goes through.
        ns.useResolver(resolver);
        try {
            JsonNode r = json(pyroInHost("run", ENV, "--network", "--network-backend", backend, "--json", "--", "sh",
                    "-c", "getent ahostsv4 " + WORLD_NAME + " | head -1; getent hosts nosuch.pyro.test || echo unknown=$?; "
                            + fetch("http://" + WORLD_NAME + ":8099/blob") + "; echo direct; "
                            + fetch("http://" + resolver + ":8099/blob").replace("--max-time 20", "--max-time 5")));
            String out = r.get("stdout").asString();
            assertThat(out).as(r.toString()).startsWith(NetNs.WORLD_ADDR).contains("unknown=2", "direct");
            assertThat(out.substring(0, out.indexOf("direct"))).as(r.toString()).contains("curl=0", blobSha);
            assertThat(out.substring(out.indexOf("direct"))).as("the resolver's address itself").doesNotContain("curl=0");
            assertThat(r.get("network").get("dns").asString()).isEqualTo(r.get("network").get("gateway").asString());
        } finally {
            ns.useResolver(NetNs.PRIVATE_ADDR);
        }
        assertNothingLeftInHostNamespace();
    }

    @ParameterizedTest
    @ValueSource(strings = {"user", "tap"})
    void egressReachesNoPrivateLinkLocalSharedOrHostAddressUnlessARangeIsOpened(String backend) {
        // Each server answers (the world's on all its addresses, the host's on 0.0.0.0): what keeps
        // the guest from them is the egress filter, which the second run opens with --allow-net.
        List<String> shut = List.of(NetNs.METADATA_ADDR + ":8099", NetNs.PRIVATE_ADDR + ":8099",
                NetNs.CGNAT_ADDR + ":8099", NetNs.HOST_ADDR + ":8095");
        JsonNode closed = json(pyroInHost("run", ENV, "--network", "--network-backend", backend, "--json", "--", "bash",
                "-c", GATEWAY + fetch("http://" + NetNs.WORLD_ADDR + ":8099/blob") + "; echo public-done; "
                        + "for a in " + String.join(" ", shut) + " $gw:8095; do echo \"to $a\"; "
                        + fetch("http://$a/blob").replace("--max-time 20", "--max-time 5") + "; done"));
        String out = closed.get("stdout").asString();
        assertThat(out).as(closed.toString()).contains("public-done");
        assertThat(out.substring(0, out.indexOf("public-done"))).as(closed.toString()).contains("curl=0", blobSha);
        assertThat(out.substring(out.indexOf("public-done"))).as(closed.toString()).doesNotContain("curl=0", blobSha);
        assertThat(closed.get("network").get("allow_net").size()).isZero();

        // Opened: the same addresses answer, but the host's own address stays shut (its services are
        // reached by port: 8095 answers as host.pyro.internal, so the server is there).
        JsonNode open = json(pyroInHost("run", ENV, "--network-backend", backend, "--allow-net",
                NetNs.METADATA_ADDR + "/32,192.168.213.0/24", "--allow-net", "100.64.0.0/10", "--allow-net",
                NetNs.HOST_ADDR + "/32", "--allow-host", "8095", "--json", "--", "bash", "-c",
                "for a in " + String.join(" ", shut) + " host.pyro.internal:8095; do echo \"to $a\"; "
                        + fetch("http://$a/blob").replace("--max-time 20", "--max-time 5") + "; done; echo end"));
        String opened = open.get("stdout").asString();
        for (String a : List.of(NetNs.METADATA_ADDR, NetNs.PRIVATE_ADDR, NetNs.CGNAT_ADDR, NetNs.HOST_ADDR,
                "host.pyro.internal")) {
            String part = opened.substring(opened.indexOf("to " + a));
            part = part.substring(0, part.indexOf("\nto ") > 0 ? part.indexOf("\nto ") : part.indexOf("end"));
            if (a.equals(NetNs.HOST_ADDR)) {
                assertThat(part).as("the host's own address, opened or not: " + opened).doesNotContain("curl=0");
            } else {
                assertThat(part).as(a + ": " + opened).contains("curl=0", blobSha);
            }
        }
        assertThat(open.get("network").get("allow_net").toString()).isEqualTo("[\"169.254.169.254/32\","
                + "\"192.168.213.0/24\",\"100.64.0.0/10\",\"" + NetNs.HOST_ADDR + "/32\"]");
        assertNothingLeftInHostNamespace();
    }

    @Test
    void aGuestReachesNoOtherGuestOnEitherBackEndEvenWithTheirRangeOpened() throws Exception {
        String ws = json(pyroInHost("workspace", "create", ENV, "--network", "--network-backend", "tap", "--json"))
                .get("workspace_id").asString();
        try {
            String address = json(pyroInHost("vm", "network-info", ws, "--json")).get("guest_address").asString()
                    .split("/")[0];
            PyroProcess.Result started = pyroInHost("workspace", "exec", ws, "--", "sh", "-c", SERVE_8000 + " echo started");
            assertThat(started.out()).as(started.stderr()).contains("started");
            // The witness: the host namespace reaches the guest's server (published ports work that way).
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> assertThat(ns.hostOutput("bash", "-c",
                    "exec 3<>/dev/tcp/" + address + "/8000 && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3"))
                    .contains("from-guest"));
            for (String backend : List.of("user", "tap")) {
                JsonNode r = json(pyroInHost("run", ENV, "--network-backend", backend, "--allow-net", "10.0.0.0/8",
                        "--json", "--", "bash", "-c", fetch("http://" + address + ":8000/")
                                .replace("--max-time 20", "--max-time 5") + "; cat /tmp/blob 2>/dev/null; true"));
                assertThat(r.get("stdout").asString()).as(backend + ": " + r).doesNotContain("curl=0", "from-guest");
            }
        } finally {
            pyroInHost("workspace", "delete", ws);
        }
        assertNothingLeftInHostNamespace();
    }

    /** A guest shell fragment: serves "from-guest" over HTTP on port 8000 in the background. */
    static final String SERVE_8000 = "setsid nohup perl -MIO::Socket::INET -e '$s=IO::Socket::INET->new(LocalPort=>8000,"
            + "Listen=>5,ReuseAddr=>1) or die $!; while($c=$s->accept){<$c>; print $c \"HTTP/1.0 200 OK\\r\\n\\r\\n"
            + "from-guest\"; close $c}' >/dev/null 2>&1 </dev/null & sleep 1;";

    @Test
    void aTapWorkspaceHasNoIpv6IgnoresRouterAdvertisementsServesItsPublishedPortAndPutsHostSettingsBack()
            throws Exception {
        String script = new String(CliNetworkIT.class.getResourceAsStream("/router-advert.pl").readAllBytes(),
                StandardCharsets.UTF_8);
        String ws = json(pyroInHost("workspace", "create", ENV, "--network-backend", "tap", "--publish", "18080:8000",
                "--json")).get("workspace_id").asString();
        try {
            String device = tapDevices().get(0);
            assertThat(ns.hostOutput("cat", "/proc/sys/net/ipv6/conf/" + device + "/disable_ipv6").strip()).isEqualTo("1");
            assertThat(ns.hostOutput("cat", "/proc/sys/net/ipv6/conf/" + device + "/accept_ra").strip()).isEqualTo("0");
            // The host settings the tap back end needs are on while it runs...
            assertThat(hostSetting("ipv4/ip_forward")).isEqualTo("1");
            assertThat(hostSetting("ipv4/conf/lo/route_localnet")).isEqualTo("1");
            // The published port answers on the host namespace's 127.0.0.1 (what lo's route_localnet is for).
            PyroProcess.Result served = pyroInHost("workspace", "exec", ws, "--", "sh", "-c", SERVE_8000 + " echo started");
            assertThat(served.out()).as(served.stderr()).contains("started");
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> assertThat(ns.hostOutput("bash",
                    "-c", "exec 3<>/dev/tcp/127.0.0.1/18080 && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3"))
                    .contains("from-guest"));
            String routes = ns.hostOutput("ip", "-6", "route", "show");
            String addresses = ns.hostOutput("ip", "-6", "addr", "show");
            PyroProcess.Result sent = pyroInHost("workspace", "exec", ws, "--", "perl", "-e", script);
            assertThat(sent.out()).as(sent.stderr()).contains("sent router advertisements");
            Thread.sleep(2000);
            assertThat(ns.hostOutput("ip", "-6", "route", "show")).isEqualTo(routes).doesNotContain("2001:db8", "proto ra");
            assertThat(ns.hostOutput("ip", "-6", "addr", "show")).isEqualTo(addresses).doesNotContain("2001:db8");
        } finally {
            pyroInHost("workspace", "delete", ws);
        }
        // ...and back off once the last device is gone (checked there).
        assertNothingLeftInHostNamespace();
    }

    static String hostSetting(String name) {
        return ns.hostOutput("cat", "/proc/sys/net/" + name).strip();
    }

    @Test
    void aSigkilledTapRunsDeviceAndRulesGoWithTheNextTapBootAndALiveWorkspacesStay() throws Exception {
        String ws = json(pyroInHost("workspace", "create", ENV, "--network", "--network-backend", "tap", "--json"))
                .get("workspace_id").asString();
        try {
            String wsDevice = tapDevices().get(0);
            ProcessBuilder pb = new ProcessBuilder(ns.inHost(List.of(LAUNCHER.toString(), "run", ENV, "--network",
                    "--network-backend", "tap", "--", "sh", "-c", "echo started; sleep 300"))).directory(ROOT.toFile());
            pb.environment().put("PYRO_HOME", home.toString());
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
            Process cli = pb.start();
            String killed;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(cli.getInputStream(), StandardCharsets.UTF_8))) {
                assertThat(out.readLine()).isEqualTo("started");
                List<String> devices = new ArrayList<>(tapDevices());
                devices.remove(wsDevice);
                assertThat(devices).hasSize(1);
                killed = devices.get(0);
                cli.destroyForcibly(); // SIGKILL: the CLI cannot clean up; its QEMU dies with it
                assertThat(cli.waitFor(20, TimeUnit.SECONDS)).isTrue();
            } finally {
                cli.destroyForcibly();
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> PyroProcess.qemuProcesses("ifname=" + killed + ",").isEmpty());
            assertThat(tapDevices()).as("left over by the killed run").contains(killed, wsDevice);
            assertThat(ns.hostOutput("nft", "list", "tables")).contains("pyro_" + killed);

            // Not ours to judge: a pt* device without pyro's owner alias. Ours, left over: a table without its device.
            ns.hostOutput("ip", "tuntap", "add", "dev", "ptnotpyro", "mode", "tap");
            ns.hostOutput("nft", "add", "table", "ip", "pyro_ptgone01");

            JsonNode next = json(pyroInHost("run", ENV, "--network", "--network-backend", "tap", "--json", "--", "true"));
            assertThat(next.get("exit_code").asInt()).isZero();
            assertThat(tapDevices()).as("the killed run's device is swept, the workspace's stays")
                    .containsExactlyInAnyOrder(wsDevice, "ptnotpyro");
            assertThat(ns.hostOutput("nft", "list", "tables")).doesNotContain("pyro_" + killed, "pyro_ptgone01")
                    .contains("pyro_" + wsDevice);
            ns.hostOutput("ip", "link", "del", "ptnotpyro");
            PyroProcess.Result exec = pyro(home, "workspace", "exec", ws, "--", "cat", "/sys/class/net/eth0/operstate");
            assertThat(exec.out()).as(exec.stderr()).isEqualTo("up\n");
        } finally {
            pyroInHost("workspace", "delete", ws);
        }
        assertNothingLeftInHostNamespace();
    }

    /** The TAP devices of pyro VMs in the host namespace. */
    private static List<String> tapDevices() {
        List<String> devices = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\d+: (pt[0-9a-z]+):")
                .matcher(ns.hostOutput("ip", "-o", "link", "show"));
        while (m.find()) {
            devices.add(m.group(1));
        }
        return devices;
    }

    @Test
    void aPublishedPortServesTheGuestOnTheHostLoopbackUntilStop() throws Exception {
        int port = freePort();
        JsonNode ws = json(pyro(home, "workspace", "create", ENV, "--publish", port + ":8000", "--json"));
        String id = ws.get("workspace_id").asString();
        try {
            JsonNode net = ws.get("network");
            assertThat(net.get("network_policy").asString()).isEqualTo("egress+published-ports");
            assertThat(net.get("published_ports").get(0).get("host_port").asInt()).isEqualTo(port);
            assertThat(net.get("published_ports").get(0).get("host_address").asString()).isEqualTo("127.0.0.1");
            String body = "published-" + Long.toHexString(new Random().nextLong());
            PyroProcess.Result started = pyro(home, "workspace", "exec", id, "--", "sh", "-c",
                    "setsid nohup perl -MIO::Socket::INET -e '$s=IO::Socket::INET->new(LocalPort=>8000,Listen=>5,"
                            + "ReuseAddr=>1) or die $!; while($c=$s->accept){<$c>; print $c \"HTTP/1.0 200 OK\\r\\n\\r\\n"
                            + body + "\"; close $c}' >/dev/null 2>&1 </dev/null & sleep 1; echo started");
            assertThat(started.out()).as(started.stderr()).contains("started");
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> assertThat(httpGet(port)).endsWith(body));
            JsonNode info = json(pyro(home, "vm", "network-info", id, "--json"));
            assertThat(info.get("published_ports").get(0).get("guest_port").asInt()).isEqualTo(8000);
            assertThat(bound(port)).isTrue();
            assertThat(pyro(home, "workspace", "stop", id).exitCode()).isZero();
            assertThat(bound(port)).as("the published port is gone after stop").isFalse();
            assertThat(networkHelpers()).isEmpty();
        } finally {
            pyro(home, "workspace", "delete", id);
        }
        assertThat(bound(port)).isFalse();
    }

    @Test
    void twoNetworkedWorkspacesAtOnceGetDistinctAddresses() {
        String a = json(pyro(home, "workspace", "create", ENV, "--network", "--json")).get("workspace_id").asString();
        String b = json(pyro(home, "workspace", "create", ENV, "--network", "--json")).get("workspace_id").asString();
        try {
            JsonNode na = json(pyro(home, "vm", "network-info", a, "--json"));
            JsonNode nb = json(pyro(home, "vm", "network-info", b, "--json"));
            assertThat(na.get("guest_address").asString()).isNotEqualTo(nb.get("guest_address").asString());
            for (String id : List.of(a, b)) {
                PyroProcess.Result r = pyro(home, "workspace", "exec", id, "--", "cat", "/etc/resolv.conf");
                assertThat(r.out()).as(r.stderr()).contains("nameserver");
            }
            assertThat(networkHelpers()).as("passt and a frame relay per workspace").hasSize(4);
        } finally {
            pyro(home, "workspace", "delete", a);
            pyro(home, "workspace", "delete", b);
        }
        assertThat(networkHelpers()).isEmpty();
    }

    @Test
    void badNetworkInputFailsInOneLineAndLeavesNothing() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            PyroProcess.Result r = pyro(home, "workspace", "create", ENV, "--publish", taken.getLocalPort() + ":80");
            assertThat(r.exitCode()).isEqualTo(2);
            assertThat(r.stderr()).contains("cannot publish host port " + taken.getLocalPort())
                    .contains("choose another HOST_PORT").doesNotContain("\tat ");
        }
        assertThat(json(pyro(home, "workspace", "list", "--json")).get("count").asInt()).isZero();
        assertThat(networkHelpers()).isEmpty();

        PyroProcess.Result range = pyro(home, "run", ENV, "--publish", "70000:80", "--", "true");
        assertThat(range.exitCode()).isEqualTo(2);
        assertThat(range.stderr()).contains("host port 70000 is out of range");

        PyroProcess.Result policy = pyro(home, "run", ENV, "--network-policy", "egress", "--publish", "8080:80", "--", "true");
        assertThat(policy.exitCode()).isEqualTo(2);
        assertThat(policy.stderr()).contains("egress+published-ports");

        PyroProcess.Result hostItself = pyro(home, "run", ENV, "--allow-net", "127.0.0.0/8", "--", "true");
        assertThat(hostItself.exitCode()).isEqualTo(2);
        assertThat(hostItself.stderr()).contains("includes the host itself", "--allow-host PORT").doesNotContain("\tat ");
        PyroProcess.Result notARange = pyro(home, "run", ENV, "--allow-net", "fe80::/10", "--", "true");
        assertThat(notARange.exitCode()).isEqualTo(2);
        assertThat(notARange.stderr()).contains("not an IPv4 range", "192.168.1.0/24");
        PyroProcess.Result port = pyro(home, "run", ENV, "--allow-host", "0", "--", "true");
        assertThat(port.exitCode()).isEqualTo(2);
        assertThat(port.stderr()).contains("allow-host port 0 is out of range");
        PyroProcess.Result noPort = pyro(home, "run", ENV, "--allow-host", "--", "true");
        assertThat(noPort.exitCode()).isEqualTo(2);
        assertThat(noPort.stderr()).contains("--allow-host");

        PyroProcess.Result hostCompat = pyro(home, "run", ENV, "--engine", "host_compat", "--allow-host-compat",
                "--network", "--", "true");
        assertThat(hostCompat.exitCode()).isEqualTo(2);
        assertThat(hostCompat.stderr()).contains("networking needs a VM");

        // The privileged back end without the privilege: name the back end that works instead.
        List<String> unprivileged = ns.inHost(List.of("setpriv", "--bounding-set", "-net_admin", "--inh-caps",
                "-net_admin", LAUNCHER.toString(), "run", ENV, "--network", "--network-backend", "tap", "--", "true"));
        PyroProcess.Result noCap = PyroProcess.run(home, Map.of(), ROOT, unprivileged);
        assertThat(noCap.exitCode()).isEqualTo(125);
        assertThat(noCap.stderr()).contains("CAP_NET_ADMIN", "--network-backend user").doesNotContain("\tat ");
        assertNothingLeftInHostNamespace();
    }

    @Test
    void guestNetworkIsProvenInTheRuntimeLock() {
        JsonNode status = json(pyro(home, "runtime", "status", "--json"));
        JsonNode env = null;
        for (JsonNode e : status.get("environments")) {
            if (e.get("name").asString().equals(ENV)) {
                env = e;
            }
        }
        assertThat(env).isNotNull();
        assertThat(env.get("capabilities").get("guest_network").asBoolean()).isTrue();
    }

    private static void assertNothingLeftInHostNamespace() {
        assertThat(ns.hostOutput("ip", "-o", "link", "show")).doesNotContain(": pt");
        assertThat(ns.hostOutput("nft", "list", "tables")).doesNotContain("pyro_");
        // What the tap back end turned on is off again once its last device went.
        assertThat(hostSetting("ipv4/ip_forward")).as("ip_forward").isEqualTo("0");
        assertThat(hostSetting("ipv4/conf/lo/route_localnet")).as("lo route_localnet").isEqualTo("0");
    }

    /** Processes serving the networks of this test's VMs (passt and the frame relay). */
    static List<Long> networkHelpers() {
        List<Long> pids = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(p -> {
            try {
                String cmdline = Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline")).replace('\0', ' ');
                if ((cmdline.contains("passt") || cmdline.contains("-Dpyro.netrelay=")) && cmdline.contains(home.toString())) {
                    pids.add(p.pid());
                }
            } catch (IOException | UncheckedIOException gone) {
                // exited meanwhile
            }
        });
        return pids;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static boolean bound(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    static String httpGet(int port) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
