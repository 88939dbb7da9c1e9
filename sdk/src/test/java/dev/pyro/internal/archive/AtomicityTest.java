package dev.pyro.internal.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.ProgressListener;
import dev.pyro.PyroException;
import dev.pyro.internal.guest.Frame;
import dev.pyro.internal.guest.TransferFailedException;
import dev.pyro.testsupport.StdioAgent;
import dev.pyro.testsupport.TarBuilder;
import dev.pyro.testsupport.TreeSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sync that fails part way leaves the workspace exactly as it was: content, modes, symlinks
 * and directory times, for the real agent and for a host-compat workspace; also when the apply
 * itself fails (test hooks) and when the process dies in the middle of the renames (the next
 * start rolls back from the journal). And the workspace symlink case: a sync never writes
 * through a symlink that is already in the workspace.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class AtomicityTest {
    @TempDir
    Path tmp;
    Path ws;
    Path outside;

    @BeforeEach
    void populate() throws IOException {
        ws = tmp.resolve("ws");
        outside = tmp.resolve("outside");
        Files.createDirectories(outside);
        Files.writeString(outside.resolve("passwd"), "root:x:0:0");
        Files.createDirectories(ws.resolve("app/src"));
        for (int i = 0; i < 20; i++) {
            Files.writeString(ws.resolve("app/src/f" + i + ".txt"), "original " + i);
        }
        Files.writeString(ws.resolve("app/README"), "readme");
        Files.createSymbolicLink(ws.resolve("app/link"), Path.of("README"));
        Files.setLastModifiedTime(ws.resolve("app/src"), FileTime.from(Instant.parse("2021-01-01T00:00:00.5Z")));
        Files.setLastModifiedTime(ws.resolve("app"), FileTime.from(Instant.parse("2021-01-02T00:00:00.5Z")));
    }

    Map<String, String> snapshot() {
        // the whole parent (workspace, its staging sibling, the bystander), with times; the
        // parent's own time changes when staging comes and goes, the rest must not
        return TreeSnapshot.of(tmp, true, n -> n.endsWith(".log") || n.endsWith(".pyro-sync.lock")
                || n.startsWith("push"));
    }

    /** A push source: 500 good files that replace and add, then one entry that breaks a rule. */
    Path badAfter500(String bad) throws IOException {
        TarBuilder t = new TarBuilder().dir("src", 0755);
        for (int i = 0; i < 500; i++) {
            t.file("src/f" + i + ".txt", "new " + i);
        }
        t.file("README", "replaced");
        t.file(bad, "pwned");
        return t.writeTar(tmp.resolve("push-bad.tar"));
    }

    interface Run {
        void push(WorkspaceFiles files) throws Exception;
    }

    void unchangedOnBothTargets(Run run, String expectedMessage) throws Exception {
        Map<String, String> before = snapshot();
        try (StdioAgent agent = StdioAgent.start(ws, tmp.resolve("agent.log"))) {
            assertThatThrownBy(() -> run.push(Transfers.guest(agent.client()))).hasMessageContaining(expectedMessage);
        }
        assertThat(snapshot()).as("agent").isEqualTo(before);
        assertThatThrownBy(() -> run.push(Transfers.host(ws))).hasMessageContaining(expectedMessage);
        assertThat(snapshot()).as("host-compat").isEqualTo(before);
    }

    @Test
    void aRuleViolationAfter500GoodEntriesChangesNothing() throws Exception {
        Path tar = badAfter500("src/../../../evil");
        unchangedOnBothTargets(files -> Transfers.push(files, tar, "app", ImportCaps.defaults(), ProgressListener.NONE),
                "archive entry 'src/../../../evil': '..' escapes the destination");
    }

    @Test
    void aCapExceededAfterManyBytesChangesNothing() throws Exception {
        TarBuilder t = new TarBuilder();
        for (int i = 0; i < 30; i++) {
            t.file("chunk" + i, 0644, new byte[1 << 20]);
        }
        Path tar = t.writeTar(tmp.resolve("push-big.tar"));
        unchangedOnBothTargets(files -> Transfers.push(files, tar, "app", new ImportCaps(1000, 20L << 20),
                ProgressListener.NONE), "archive entry 'chunk20': more than 20971520 bytes");
    }

    @Test
    void theAgentsOwnLimitAlsoLeavesTheWorkspaceAlone() throws Exception {
        // The host caps are generous; the agent is given a lower one through a raw import.
        Map<String, String> before = snapshot();
        try (StdioAgent agent = StdioAgent.start(ws, tmp.resolve("agent.log"))) {
            var imp = agent.client().startImport("/workspace/app", 5, 0);
            assertThatThrownBy(() -> {
                for (int i = 0; i < 6; i++) {
                    imp.entry(Frame.KIND_FILE, ("src/f" + i + ".txt").getBytes(), 0644, 0, 1, new byte[0]);
                    imp.data(new byte[] {'x'}, 0, 1);
                }
                imp.finish(java.time.Duration.ofSeconds(10));
            }).isInstanceOfSatisfying(TransferFailedException.class,
                    e -> assertThat(e.code()).isEqualTo(Frame.Error.LIMIT));
            imp.close();
        }
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void aFailingApplyIsRolledBack() throws Exception {
        Path src = tmp.resolve("push-src");
        Files.createDirectories(src.resolve("src"));
        for (int i = 0; i < 30; i++) {
            Files.writeString(src.resolve("src/f" + i + ".txt"), "new " + i); // 20 replaces, 10 creates
        }
        Files.createDirectories(src.resolve("newdir/deep"));
        Files.writeString(src.resolve("newdir/deep/x"), "x");
        Map<String, String> before = snapshot();
        for (int step : List.of(0, 7, 25)) {
            try (StdioAgent agent = StdioAgent.start(ws, tmp.resolve("agent.log"),
                    Map.of("PYRO_AGENT_TEST_FAIL_APPLY", Integer.toString(step)))) {
                assertThatThrownBy(() -> Transfers.push(Transfers.guest(agent.client()), src, "app",
                        ImportCaps.defaults(), ProgressListener.NONE)).isInstanceOfSatisfying(
                                TransferFailedException.class, e -> assertThat(e.code()).isEqualTo(Frame.Error.IO));
            }
            assertThat(snapshot()).as("agent, step " + step).isEqualTo(before);
            HostWorkspace host = HostWorkspace.open(ws);
            host.testFailApplyStep = step;
            assertThatThrownBy(() -> Transfers.push(host, src, "app", ImportCaps.defaults(), ProgressListener.NONE))
                    .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.getMessage())
                            .contains("test hook: failing apply step " + step).contains("the workspace is unchanged"));
            assertThat(snapshot()).as("host-compat, step " + step).isEqualTo(before);
        }
        // and without the hook the same push works
        Transfers.push(Transfers.host(ws), src, "app", ImportCaps.defaults(), ProgressListener.NONE);
        assertThat(Files.readString(ws.resolve("app/src/f3.txt"))).isEqualTo("new 3");
        assertThat(Files.readString(ws.resolve("app/newdir/deep/x"))).isEqualTo("x");
    }

    @Test
    void aCrashInTheMiddleOfTheRenamesIsRolledBackAtTheNextStart() throws Exception {
        Path src = tmp.resolve("push-src");
        Files.createDirectories(src.resolve("src"));
        for (int i = 0; i < 30; i++) {
            Files.writeString(src.resolve("src/f" + i + ".txt"), "new " + i);
        }
        Map<String, String> before = snapshot();
        // The agent: it exits with 99 at step 12 (after some replaces); a new agent recovers.
        try (StdioAgent agent = StdioAgent.start(ws, tmp.resolve("agent.log"),
                Map.of("PYRO_AGENT_TEST_CRASH_APPLY", "12"))) {
            assertThatThrownBy(() -> Transfers.push(Transfers.guest(agent.client()), src, "app", ImportCaps.defaults(),
                    ProgressListener.NONE)).isInstanceOfSatisfying(PyroException.class,
                            e -> assertThat(e.kind()).as(e.getMessage()).isEqualTo(PyroException.Kind.VM_FAILED));
            assertThat(agent.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(agent.log()).contains("test hook: crashing");
        }
        assertThat(snapshot()).as("the agent died mid-apply").isNotEqualTo(before);
        try (StdioAgent agent = StdioAgent.start(ws, tmp.resolve("agent2.log"))) {
            assertThat(agent.log()).contains("rolling back import");
        }
        assertThat(snapshot()).as("after the agent's recovery").isEqualTo(before);

        // Host-compat: a child JVM halts at step 12; opening the workspace recovers.
        Process child = new ProcessBuilder(javaBin(), "-cp", System.getProperty("java.class.path"),
                HostCrashMain.class.getName(), ws.toString(), src.toString(), "12").redirectErrorStream(true)
                .redirectOutput(tmp.resolve("child.log").toFile()).start();
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as(Files.readString(tmp.resolve("child.log"))).isEqualTo(99);
        assertThat(tmp.resolve("ws.pyro-sync")).isDirectory();
        assertThat(snapshot()).as("the JVM died mid-apply").isNotEqualTo(before);
        HostWorkspace.open(ws);
        assertThat(snapshot()).as("after host-compat recovery").isEqualTo(before);
        assertThat(tmp.resolve("ws.pyro-sync")).doesNotExist();
    }

    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    @Test
    void aSymlinkAlreadyInTheWorkspaceIsNeverWrittenThrough() throws Exception {
        Files.createSymbolicLink(ws.resolve("s"), outside.toAbsolutePath()); // like s -> /etc
        Files.createSymbolicLink(ws.resolve("up"), Path.of("..")); // s -> ..
        Path tar = new TarBuilder().dir("s", 0755).file("s/passwd", "pwned").writeTar(tmp.resolve("push-s.tar"));
        Path tarUp = new TarBuilder().file("up/outside/passwd", "pwned").writeTar(tmp.resolve("push-up.tar"));
        unchangedOnBothTargets(files -> Transfers.push(files, tar, "/workspace", ImportCaps.defaults(),
                ProgressListener.NONE), "conflict at /workspace/s: the import has a directory there, the workspace a "
                        + "symlink");
        unchangedOnBothTargets(files -> Transfers.push(files, tarUp, "/workspace", ImportCaps.defaults(),
                ProgressListener.NONE), "conflict at /workspace/up");
        // a destination through the symlink
        Path plain = new TarBuilder().file("passwd", "pwned").writeTar(tmp.resolve("push-plain.tar"));
        unchangedOnBothTargets(files -> Transfers.push(files, plain, "/workspace/s", ImportCaps.defaults(),
                ProgressListener.NONE), "/workspace/s exists and is a symlink");
        assertThat(Files.readString(outside.resolve("passwd"))).isEqualTo("root:x:0:0");
    }
}
