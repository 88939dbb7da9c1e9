package dev.pyro.internal.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.internal.guest.Frame;
import dev.pyro.internal.guest.GuestImport;
import dev.pyro.internal.guest.TransferFailedException;
import dev.pyro.testsupport.AgentBinary;
import dev.pyro.testsupport.SizeBombs;
import dev.pyro.testsupport.StdioAgent;
import dev.pyro.testsupport.TreeSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Archives that are legal in shape and enormous in cost ({@link SizeBombs}: an implied-directory
 * bomb, a 400 MB PAX record, a 400 MB GNU long name, 20,000 global headers, a chain of global
 * headers, a million empty files, 16 GiB of zeros in 16 MB of gzip) against the dry run, a
 * host-compat workspace and the real agent ({@code --stdio}), as a seed and as a sync.
 *
 * <p>Each run happens in a JVM of its own with a 128 MiB heap ({@link SizeBombMain}), so a
 * missing limit shows as a crash. Each must be refused with a one-line INVALID_ARGUMENT message
 * naming the limit (or, the global headers, be imported) and leave the directory around the
 * workspace exactly as it was. Bombs that their first headers give away must be decided within
 * 2 s (JVM start not counted). The two that need many entries to show are held to the work
 * those entries need, not to a clock: the million empty files are refused at the 200,001st
 * (after some 100 MB of tar), and the 20,000 global headers must cost at most 3 times what the
 * same 20,000 files cost without them (they took quadratic time before: 8,000 took 15 s).
 */
@Timeout(value = 1800, unit = TimeUnit.SECONDS)
class SizeBombTest {
    /** Longest a run may take to decide a bomb that its first headers give away. */
    static final long DECIDE_MS = 2000;
    /** A sanity bound for the rest (their real bound is relative, see the class comment). */
    static final long SANITY_MS = 120_000;
    static final List<String> TARGETS = List.of("validate", "host-seed", "host-sync", "agent-seed", "agent-sync");

    @TempDir
    static Path corpusDir;
    @TempDir
    Path tmp;

    static List<SizeBombs.Bomb> bombs;
    static Path plain;
    static final Map<String, String> results = new java.util.concurrent.ConcurrentSkipListMap<>();

    @BeforeAll
    static void build() throws IOException {
        long start = System.nanoTime();
        bombs = SizeBombs.build(corpusDir.resolve("bombs"));
        plain = SizeBombs.plainFiles(corpusDir.resolve("bombs/plain-20000.tar.gz"), 20_000);
        System.out.println("[size-bomb] corpus built in " + (System.nanoTime() - start) / 1_000_000 + " ms");
        for (SizeBombs.Bomb b : bombs) {
            System.out.println("[size-bomb] " + b.name() + ": " + Files.size(b.archive()) + " bytes of .tar.gz");
        }
    }

    @AfterAll
    static void print() {
        results.forEach((k, v) -> System.out.println("[size-bomb] " + k + ": " + v));
    }

    @TestFactory
    Stream<DynamicTest> eachBombInA128MiBHeap() {
        List<DynamicTest> tests = new ArrayList<>();
        for (SizeBombs.Bomb bomb : bombs) {
            for (String target : TARGETS) {
                tests.add(DynamicTest.dynamicTest(bomb.name() + " " + target, () -> run(bomb, target)));
            }
        }
        return tests.stream();
    }

    void run(SizeBombs.Bomb bomb, String target) throws Exception {
        Path parent = tmp.resolve(bomb.name() + "-" + target);
        Map<String, String> before = scene(parent);
        Result r = child(target, bomb.archive(), parent.resolve("ws"), bomb.caps());
        results.put(bomb.name() + " " + target, r.outcome() + " in " + r.ms() + " ms, peak heap " + r.heapMiB()
                + " MiB: " + r.message());
        assertThat(r.outcome()).as(r.line()).isEqualTo(bomb.rejected() ? "REJECTED" : "ACCEPTED");
        if (bomb.rejected()) {
            assertThat(r.message()).as(r.line()).startsWith("INVALID_ARGUMENT ").contains(bomb.phrase())
                    .doesNotContain("\n");
            assertThat(r.ms()).as(r.line()).isLessThan(bomb.early() ? DECIDE_MS : SANITY_MS);
            assertThat(TreeSnapshot.of(parent, true, n -> n.endsWith(".agent.log")))
                    .as("everything around and in the workspace").isEqualTo(before);
        } else {
            assertThat(r.message()).as(r.line()).startsWith("20000 entries");
            Path baseParent = tmp.resolve("plain-" + target);
            scene(baseParent);
            Result base = child(target, plain, baseParent.resolve("ws"), bomb.caps());
            assertThat(base.outcome()).as(base.line()).isEqualTo("ACCEPTED");
            results.put("plain-20000 " + target, base.outcome() + " in " + base.ms() + " ms");
            assertThat(r.ms()).as("%s, against %d ms without the global headers", r.line(), base.ms())
                    .isLessThan(3 * base.ms() + 1000).isLessThan(SANITY_MS);
        }
    }

    /** A workspace (with content, for syncs) and a bystander next to it; the snapshot of both. */
    static Map<String, String> scene(Path parent) throws IOException {
        Path ws = parent.resolve("ws");
        Files.createDirectories(ws.resolve("sub"));
        Files.writeString(ws.resolve("sub/keep.txt"), "keep");
        Files.createDirectories(parent.resolve("outside"));
        Files.writeString(parent.resolve("outside/marker"), "untouched");
        return TreeSnapshot.of(parent, true, n -> n.endsWith(".agent.log"));
    }

    record Result(String line, String outcome, long ms, long heapMiB, String message) {
    }

    /** Runs {@link SizeBombMain} with a 128 MiB heap. */
    static Result child(String target, Path archive, Path ws, ImportCaps caps) throws Exception {
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx128m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), SizeBombMain.class.getName(), target,
                archive.toString(), ws.toString(), Long.toString(caps.maxEntries()), Long.toString(caps.maxBytes())));
        if (target.startsWith("agent")) {
            command.add(AgentBinary.get().toString());
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(600, TimeUnit.SECONDS)).as(out).isTrue();
        String line = out.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElse(null);
        assertThat(line).as("the child's output:\n" + out).isNotNull();
        String[] f = line.split(" ", 5);
        return new Result(line, f[1], Long.parseLong(f[2]), Long.parseLong(f[3]), f[4]);
    }

    static String javaBinary() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString());
    }

    /**
     * The agent's own limits: the bombs that reach a guest at all, sent with the host's rules
     * bypassed, are refused by the agent (depth, entries counting implied directories, bytes).
     */
    @TestFactory
    Stream<DynamicTest> theAgentRefusesThemWithoutTheHost() {
        return bombs.stream().filter(b -> b.rejected() && !b.hostOnly()).map(b -> DynamicTest.dynamicTest(b.name(),
                () -> {
                    Path ws = tmp.resolve("bypass-" + b.name());
                    Files.createDirectories(ws);
                    Map<String, String> before = TreeSnapshot.of(tmp, true, n -> n.endsWith(".log"));
                    try (StdioAgent agent = StdioAgent.start(ws, tmp.resolve(b.name() + ".log"))) {
                        GuestImport imp = agent.client().startImport("/workspace", b.caps().maxEntries(),
                                b.caps().maxBytes());
                        try {
                            assertThatThrownBy(() -> {
                                sendUnchecked(b.archive(), imp);
                                imp.finish(Duration.ofSeconds(60));
                            }).isInstanceOfSatisfying(TransferFailedException.class, e -> {
                                assertThat(e.code()).isIn(Frame.Error.REJECTED, Frame.Error.LIMIT);
                                results.put(b.name() + " agent alone", e.getMessage());
                            });
                        } finally {
                            imp.close();
                        }
                    }
                    assertThat(TreeSnapshot.of(tmp, true, n -> n.endsWith(".log"))).isEqualTo(before);
                }));
    }

    /**
     * A file larger than the disk can hold fails at its header, before any of its data, when the
     * caps would let it through: in host-compat against the free space of the workspace's
     * filesystem, in the agent against the workspace disk's (ERROR LIMIT, ENOSPC).
     */
    @org.junit.jupiter.api.Test
    void aFileLargerThanTheDiskFailsAtItsHeader() throws Exception {
        Path parent = tmp.resolve("disk");
        Map<String, String> before = scene(parent);
        long free = Files.getFileStore(parent).getUsableSpace();
        Path archive = SizeBombs.declaredOnly(tmp.resolve("huge.tar.gz"), free + (1L << 30));
        ImportCaps unlimited = new ImportCaps(1000, Long.MAX_VALUE);
        Path ws = parent.resolve("ws");
        assertThatThrownBy(() -> Transfers.seed(HostWorkspace.open(ws), archive, unlimited,
                dev.pyro.ProgressListener.NONE)).isInstanceOfSatisfying(dev.pyro.PyroException.class, e -> {
                    assertThat(e.kind()).isEqualTo(dev.pyro.PyroException.Kind.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("entry 'huge' of " + (free + (1L << 30)) + " bytes does not fit")
                            .contains("free space on that disk or import less");
                    results.put("disk host-compat", e.getMessage());
                });
        assertThat(TreeSnapshot.of(parent, true, n -> n.endsWith(".log"))).isEqualTo(before);
        try (StdioAgent agent = StdioAgent.start(ws, parent.resolve("agent.log"))) {
            assertThatThrownBy(() -> Transfers.seed(new GuestFiles(agent.client()), archive, unlimited,
                    dev.pyro.ProgressListener.NONE)).isInstanceOfSatisfying(dev.pyro.PyroException.class, e -> {
                        assertThat(e.kind()).isEqualTo(dev.pyro.PyroException.Kind.INVALID_ARGUMENT);
                        assertThat(e.getCause()).isInstanceOfSatisfying(TransferFailedException.class, t -> {
                            assertThat(t.code()).isEqualTo(Frame.Error.LIMIT);
                            assertThat(t.errno()).isEqualTo(TransferFailedException.ENOSPC);
                        });
                        assertThat(e.getMessage()).contains("entry \"huge\": " + (free + (1L << 30))
                                + " bytes do not fit: the workspace disk has").endsWith("nothing was imported (free "
                                + "space in the workspace, or import less)");
                        results.put("disk agent", e.getMessage());
                    });
        }
        assertThat(TreeSnapshot.of(parent, true, n -> n.endsWith(".log"))).isEqualTo(before);
    }

    /** The archive's entries straight to the guest, without {@link EntryValidator}. */
    static void sendUnchecked(Path archive, GuestImport imp) throws IOException {
        byte[] buf = new byte[65536];
        try (TarSource source = TarSource.open(archive, true)) {
            Entry entry;
            while ((entry = source.next()) != null) {
                imp.entry(entry.kind().wire(), entry.path(), entry.mode() & 07777, entry.mtimeNs(), entry.size(),
                        entry.target());
                if (entry.kind() == EntryKind.FILE && entry.size() > 0) {
                    InputStream in = source.content();
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        imp.data(buf, 0, n);
                    }
                }
            }
        }
    }
}
