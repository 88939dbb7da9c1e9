package dev.pyro.internal.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.PyroException;
import dev.pyro.testsupport.StdioAgent;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * IMPORT, EXPORT and STAT of {@link GuestClient} against the real agent in
 * {@code --stdio --workspace DIR} mode: the protocol level, below the archive rules.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GuestTransferAgentTest {
    @TempDir
    Path tmp;

    Path ws;
    StdioAgent agent;
    GuestClient client;

    @BeforeEach
    void start() throws Exception {
        ws = tmp.resolve("ws");
        agent = StdioAgent.start(ws, tmp.resolve("agent.log"));
        client = agent.client();
    }

    @AfterEach
    void stop() throws Exception {
        agent.close();
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void helloAnnouncesTransfers() {
        assertThat(client.hello(Duration.ofSeconds(5)).has(HelloInfo.FEATURE_TRANSFER)).isTrue();
    }

    @Test
    void importWritesEntriesAtomicallyAndReportsCounts() throws Exception {
        byte[] data = new byte[3 * GuestImport.DATA_CHUNK + 17];
        new Random(1).nextBytes(data);
        try (GuestImport imp = client.startImport("/workspace/src", 100, 1 << 30)) {
            imp.entry(Frame.KIND_DIRECTORY, b("lib"), 0750, 1_700_000_000_000_000_000L, 0, new byte[0]);
            imp.entry(Frame.KIND_FILE, b("lib/a.bin"), 04755, 1_600_000_000_123_456_789L, data.length, new byte[0]);
            imp.data(data, 0, 1000);
            imp.data(data, 1000, data.length - 1000);
            imp.entry(Frame.KIND_SYMLINK, b("a"), 0, 0, 0, b("lib/a.bin"));
            imp.entry(Frame.KIND_HARDLINK, b("lib/b.bin"), 0, 0, 0, b("lib/a.bin"));
            imp.entry(Frame.KIND_FILE, b("empty"), 0644, 0, 0, new byte[0]);
            // nothing is visible before IMPORT_END
            assertThat(ws.resolve("src")).doesNotExist();
            ImportSummary summary = imp.finish(Duration.ofSeconds(30));
            assertThat(summary).isEqualTo(new ImportSummary(5, data.length));
        }
        assertThat(Files.readAllBytes(ws.resolve("src/lib/a.bin"))).isEqualTo(data);
        assertThat(Files.readSymbolicLink(ws.resolve("src/a")).toString()).isEqualTo("lib/a.bin");
        assertThat(Files.getAttribute(ws.resolve("src/lib/a.bin"), "unix:mode")).isEqualTo(0100755); // setuid stripped
        assertThat(Files.getAttribute(ws.resolve("src/lib/b.bin"), "unix:ino"))
                .isEqualTo(Files.getAttribute(ws.resolve("src/lib/a.bin"), "unix:ino"));
        assertThat(Files.getLastModifiedTime(ws.resolve("src/lib/a.bin")).toInstant().toString())
                .isEqualTo("2020-09-13T12:26:40.123456789Z");
        assertThat(tmp.resolve("ws.pyro-sync")).doesNotExist();
    }

    @Test
    void agentRejectionStopsTheStreamEarlyAndChangesNothing() throws Exception {
        Files.writeString(ws.resolve("keep"), "keep");
        GuestImport imp = client.startImport("/workspace", 0, 0);
        imp.entry(Frame.KIND_FILE, b("ok"), 0644, 0, 0, new byte[0]);
        imp.entry(Frame.KIND_FILE, b("../evil"), 0644, 0, 0, new byte[0]);
        // The agent answers ERROR at once; a later call throws it.
        assertThatThrownBy(() -> {
            for (int i = 0; i < 1000; i++) {
                imp.entry(Frame.KIND_FILE, b("f" + i), 0644, 0, 0, new byte[0]);
                Thread.sleep(5);
            }
        }).isInstanceOfSatisfying(TransferFailedException.class, e -> {
            assertThat(e.code()).isEqualTo(Frame.Error.REJECTED);
            assertThat(e.kind()).isEqualTo(PyroException.Kind.INVALID_ARGUMENT);
            assertThat(e.getMessage()).contains("../evil").contains("'..'");
        });
        imp.close();
        try (var list = Files.list(ws)) {
            assertThat(list.map(p -> p.getFileName().toString()).toList()).containsExactly("keep");
        }
        assertThat(tmp.resolve("ws.pyro-sync")).doesNotExist();
    }

    @Test
    void cancelDiscardsTheStagingAndFreesTheChannel() throws Exception {
        GuestImport imp = client.startImport("/workspace", 0, 0);
        imp.entry(Frame.KIND_FILE, b("big"), 0644, 0, 10_000_000, new byte[0]);
        imp.data(new byte[1_000_000], 0, 1_000_000);
        imp.cancel();
        assertThat(ws.resolve("big")).doesNotExist();
        assertThatThrownBy(() -> imp.data(new byte[10], 0, 10)).isInstanceOf(TransferFailedException.class)
                .hasMessageContaining("cancel");
        assertThat(tmp.resolve("ws.pyro-sync")).doesNotExist();
        // The connection still works.
        assertThat(client.ping(Duration.ofSeconds(5))).isPositive();
    }

    @Test
    void exportStreamsRootFirstAndStatDescribes() throws Exception {
        Files.createDirectories(ws.resolve("out/sub"));
        Files.writeString(ws.resolve("out/sub/a.txt"), "hello\n");
        Files.createSymbolicLink(ws.resolve("out/l"), Path.of("sub/a.txt"));
        List<String> seen = new ArrayList<>();
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        ExportSummary summary = client.export("/workspace/out", new ExportSink() {
            @Override
            public void entry(int kind, byte[] path, int mode, long mtimeNs, long size, byte[] target) {
                seen.add(kind + ":" + new String(path, StandardCharsets.UTF_8) + ":" + size + ":"
                        + new String(target, StandardCharsets.UTF_8));
            }

            @Override
            public void data(byte[] d, int offset, int length) {
                data.write(d, offset, length);
            }
        }, Duration.ofSeconds(10), Duration.ofMinutes(5));
        assertThat(seen).containsExactly("1::0:", "3:l:0:sub/a.txt", "1:sub:0:", "2:sub/a.txt:6:");
        assertThat(data.toString(StandardCharsets.UTF_8)).isEqualTo("hello\n");
        assertThat(summary).isEqualTo(new ExportSummary(4, 6, 0));

        GuestStat st = client.stat("/workspace/out/l", Duration.ofSeconds(5)).orElseThrow();
        assertThat(st.isSymlink()).isTrue();
        assertThat(new String(st.target(), StandardCharsets.UTF_8)).isEqualTo("sub/a.txt");
        assertThat(client.stat("/workspace/nope", Duration.ofSeconds(5))).isEmpty();
        assertThatThrownBy(() -> client.stat("/etc", Duration.ofSeconds(5)))
                .isInstanceOfSatisfying(TransferFailedException.class, e ->
                        assertThat(e.code()).isEqualTo(Frame.Error.BAD_PATH));
        assertThatThrownBy(() -> client.export("/workspace/nope", new ExportSink() {
            @Override
            public void entry(int kind, byte[] path, int mode, long mtimeNs, long size, byte[] target) {
            }

            @Override
            public void data(byte[] d, int offset, int length) {
            }
        }, Duration.ofSeconds(5), Duration.ofMinutes(5))).isInstanceOfSatisfying(TransferFailedException.class,
                e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.NOT_FOUND));
    }

    @Test
    void aFailingSinkCancelsTheExportAndKeepsTheConnection() throws Exception {
        Files.write(ws.resolve("big"), new byte[20_000_000]);
        assertThatThrownBy(() -> client.export("/workspace/big", new ExportSink() {
            @Override
            public void entry(int kind, byte[] path, int mode, long mtimeNs, long size, byte[] target) {
            }

            @Override
            public void data(byte[] d, int offset, int length) throws java.io.IOException {
                throw new java.io.IOException("disk full (test)");
            }
        }, Duration.ofSeconds(10), Duration.ofMinutes(5))).hasMessageContaining("disk full (test)");
        assertThat(client.ping(Duration.ofSeconds(5))).isPositive();
        assertThat(client.stat("/workspace/big", Duration.ofSeconds(5))).isPresent();
    }

    @Test
    void transfersRunWhileCommandsRunOnOtherChannels() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<ExecResult> exec = pool.submit(() -> client.exec(ExecRequest.of("sh", "-c",
                    "for i in 1 2 3 4 5; do echo $i; sleep 0.1; done"), new dev.pyro.OutputListener() {
                        @Override
                        public void onStdout(byte[] d, int o, int l) {
                        }

                        @Override
                        public void onStderr(byte[] d, int o, int l) {
                        }
                    }));
            byte[] data = new byte[30_000_000];
            new Random(2).nextBytes(data);
            try (GuestImport imp = client.startImport("/workspace", 0, 0)) {
                imp.entry(Frame.KIND_FILE, b("data"), 0644, 0, data.length, new byte[0]);
                imp.data(data, 0, data.length);
                imp.finish(Duration.ofSeconds(60));
            }
            assertThat(exec.get(30, TimeUnit.SECONDS).exitCode()).isZero();
            assertThat(Files.readAllBytes(ws.resolve("data"))).isEqualTo(data);
        } finally {
            pool.shutdownNow();
        }
    }
}
