package dev.pyro.internal.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.pyro.ProgressListener;
import dev.pyro.PyroException;
import dev.pyro.internal.guest.Frame;
import dev.pyro.internal.guest.GuestImport;
import dev.pyro.internal.guest.TransferFailedException;
import dev.pyro.testsupport.HostileArchives;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile archive corpus ({@link HostileArchives}) against every target: a host-compat
 * workspace and the real agent ({@code --stdio --workspace}), as a seed into an empty workspace
 * and as a sync into a populated one. Each must be rejected with a message naming the entry (or
 * the archive) and the rule, with nothing written outside the destination (the whole parent
 * directory is compared before and after) and, for a sync, the workspace byte-identical
 * (content, modes, times). The agent's own defense is tested too, by sending the hostile
 * entries without the host rules (a test-only path straight to {@link GuestImport}).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class HostileArchiveTest {
    @TempDir
    static Path corpusDir;
    @TempDir
    Path tmp;

    static List<HostileArchives.Case> cases;
    /** The messages, printed once for the record (docs/transfers.md quotes some). */
    static final Map<String, String> messages = new java.util.concurrent.ConcurrentSkipListMap<>();

    @org.junit.jupiter.api.AfterAll
    static void printMessages() {
        messages.forEach((k, v) -> System.out.println("[hostile] " + k + ": " + v));
    }
    /** The directory absolute names aim at (its own per-test copy is checked). */
    static Path outsideTemplate;

    @BeforeAll
    static void buildCorpus() throws IOException {
        outsideTemplate = corpusDir.resolve("outside-name-only");
        cases = HostileArchives.build(corpusDir.resolve("corpus"), outsideTemplate);
    }

    interface Target {
        WorkspaceFiles open(Path ws) throws Exception;
    }

    /** One scenario's directories: P/ws (the workspace) and P/outside-name-only (a bystander). */
    record Scene(Path parent, Path ws, Path outside) {
    }

    Scene scene(String name, boolean populated) throws IOException {
        Path parent = tmp.resolve(name);
        Path ws = parent.resolve("ws");
        Files.createDirectories(ws);
        // Absolute names in the corpus point at corpusDir/outside-name-only: make it exist and
        // hold a file, so a write there would show.
        Files.createDirectories(outsideTemplate);
        Files.writeString(outsideTemplate.resolve("marker"), "untouched");
        Path outside = parent.resolve("outside");
        Files.createDirectories(outside);
        Files.writeString(outside.resolve("marker"), "untouched");
        if (populated) {
            Files.createDirectories(ws.resolve("sub/dir"));
            Files.writeString(ws.resolve("sub/keep.txt"), "keep");
            Files.writeString(ws.resolve("sub/ok.txt"), "old ok");
            Files.writeString(ws.resolve("sub/a"), "old a");
            Files.writeString(ws.resolve("top.txt"), "top");
            Files.createSymbolicLink(ws.resolve("sub/link"), Path.of("keep.txt"));
        }
        return new Scene(parent, ws, outside);
    }

    @TestFactory
    Stream<DynamicTest> hostRulesRejectEveryCase() {
        List<DynamicTest> tests = new ArrayList<>();
        Map<String, Target> targets = Map.of(
                "host-compat", HostWorkspace::open,
                "agent", ws -> new AgentFiles(StdioAgent.start(ws, Files.createTempFile(tmp, "agent", ".log"))));
        for (HostileArchives.Case c : cases) {
            for (Map.Entry<String, Target> t : targets.entrySet()) {
                for (boolean sync : new boolean[] {false, true}) {
                    String name = c.name() + " " + t.getKey() + (sync ? " sync" : " seed");
                    tests.add(DynamicTest.dynamicTest(name, () -> rejected(c, t.getValue(), sync, name)));
                }
            }
        }
        return tests.stream();
    }

    void rejected(HostileArchives.Case c, Target target, boolean sync, String name) throws Exception {
        Scene s = scene(name.replace(' ', '-'), sync);
        Map<String, String> before = TreeSnapshot.of(s.parent());
        Map<String, String> outsideBefore = TreeSnapshot.of(outsideTemplate);
        WorkspaceFiles files = target.open(s.ws());
        try {
            assertThatThrownBy(() -> {
                if (sync) {
                    Transfers.push(files, c.archive(), "/workspace/sub", c.caps(), ProgressListener.NONE);
                } else {
                    Transfers.seed(files, c.archive(), c.caps(), ProgressListener.NONE);
                }
            }).isInstanceOfSatisfying(PyroException.class, e -> {
                assertThat(e).isNotInstanceOf(TransferFailedException.class); // the host found it first
                assertThat(e.kind()).isEqualTo(PyroException.Kind.INVALID_ARGUMENT);
                assertThat(e.getMessage()).contains((c.hostOnly() ? "" : "'") + c.entry()).contains(c.rule())
                        .doesNotContain("\n");
                messages.put(c.name(), e.getMessage());
                if (!c.hostOnly()) {
                    assertThat(e).isInstanceOf(EntryRejectedException.class);
                }
            });
        } finally {
            if (files instanceof AgentFiles a) {
                a.close();
            }
        }
        assertThat(TreeSnapshot.of(s.parent())).as("everything around and in the workspace").isEqualTo(before);
        assertThat(TreeSnapshot.of(outsideTemplate)).isEqualTo(outsideBefore);
    }

    /** The agent's own rules: the same hostile entries sent without the host's checks. */
    @TestFactory
    Stream<DynamicTest> agentRejectsWhatTheHostWouldHave() {
        return cases.stream().filter(c -> !c.hostOnly()).map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Scene s = scene("bypass-" + c.name(), true);
            Map<String, String> before = TreeSnapshot.of(s.parent());
            try (StdioAgent agent = StdioAgent.start(s.ws(), s.parent().resolveSibling(c.name() + ".log"))) {
                GuestImport imp = agent.client().startImport("/workspace/sub", c.caps().maxEntries(),
                        c.caps().maxBytes());
                try {
                    assertThatThrownBy(() -> {
                        sendUnchecked(c.archive(), imp);
                        imp.finish(Duration.ofSeconds(30));
                    }).isInstanceOfSatisfying(TransferFailedException.class, e -> {
                        assertThat(e.code()).isIn(Frame.Error.REJECTED, Frame.Error.LIMIT);
                        String entryPath = c.entry().contains("' -> '") ? c.entry().substring(0,
                                c.entry().indexOf("' -> '")) : c.entry();
                        assertThat(e.getMessage()).contains(entryPath.length() > 150 ? entryPath.substring(0, 150)
                                : entryPath);
                    });
                } finally {
                    imp.close();
                }
            }
            assertThat(TreeSnapshot.of(s.parent(), true, n -> n.endsWith(".log"))).isEqualTo(before);
        }));
    }

    /**
     * Test-only path: the archive's entries as the tar reader yields them, straight to the
     * guest, no {@link EntryValidator}; devices and fifos (which the reader refuses) are sent
     * as the only kind the wire has for them, an unknown kind.
     */
    static void sendUnchecked(Path archive, GuestImport imp) throws IOException {
        byte[] buf = new byte[65536];
        try (TarSource source = TarSource.open(archive, false)) {
            while (true) {
                Entry entry;
                try {
                    entry = source.next();
                } catch (EntryRejectedException rejected) {
                    // the host reader refuses specials: send what the wire can say (kind 5)
                    imp.entry(5, rejected.entry().getBytes(StandardCharsets.UTF_8), 0666, 0, 0, new byte[0]);
                    imp.finish(Duration.ofSeconds(30));
                    fail("the agent accepted a special file");
                    return;
                }
                if (entry == null) {
                    return;
                }
                imp.entry(entry.kind().wire(), entry.path(), entry.mode() & 07777, entry.mtimeNs(), entry.size(),
                        entry.target());
                if (entry.kind() == EntryKind.FILE) {
                    InputStream in = source.content();
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        imp.data(buf, 0, n);
                    }
                }
            }
        }
    }

    @Test
    void setuidBitsAreStrippedNotRejected() throws Exception {
        Path archive = new dev.pyro.testsupport.TarBuilder().dir("bin", 02775).file("bin/tool", 04755,
                "#!/bin/sh\n".getBytes()).file("bin/sticky", 01777, new byte[0]).writeTar(tmp.resolve("suid.tar"));
        for (String t : new String[] {"host", "agent"}) {
            Path ws = tmp.resolve("suid-" + t);
            Files.createDirectories(ws);
            WorkspaceFiles files = t.equals("host") ? HostWorkspace.open(ws)
                    : new AgentFiles(StdioAgent.start(ws, tmp.resolve("suid.log")));
            try {
                TransferStats stats = Transfers.seed(files, archive, ImportCaps.defaults(), ProgressListener.NONE);
                assertThat(stats.entries()).isEqualTo(3);
            } finally {
                if (files instanceof AgentFiles a) {
                    a.close();
                }
            }
            assertThat(Files.getAttribute(ws.resolve("bin/tool"), "unix:mode")).as(t).isEqualTo(0100755);
            assertThat(Files.getAttribute(ws.resolve("bin/sticky"), "unix:mode")).as(t).isEqualTo(0100777);
            assertThat(Files.getAttribute(ws.resolve("bin"), "unix:mode")).as(t).isEqualTo(040775);
        }
    }

    /** {@link GuestFiles} over a stdio agent, closing the agent with it. */
    static final class AgentFiles implements WorkspaceFiles {
        final StdioAgent agent;
        final GuestFiles files;

        AgentFiles(StdioAgent agent) {
            this.agent = agent;
            this.files = new GuestFiles(agent.client());
        }

        @Override
        public ImportSession beginImport(String dest, ImportCaps caps) {
            return files.beginImport(dest, caps);
        }

        @Override
        public dev.pyro.internal.guest.ExportSummary export(String path, dev.pyro.internal.guest.ExportSink sink,
                Duration timeout) {
            return files.export(path, sink, timeout);
        }

        @Override
        public java.util.Optional<dev.pyro.internal.guest.GuestStat> stat(String path) {
            return files.stat(path);
        }

        @Override
        public String describe() {
            return files.describe();
        }

        void close() {
            agent.close();
        }
    }
}
