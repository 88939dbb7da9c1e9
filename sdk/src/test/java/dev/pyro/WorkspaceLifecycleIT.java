package dev.pyro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Workspaces and VMs through the SDK, with real persistent VMs and a real SQLite state store. */
class WorkspaceLifecycleIT {
    static final String ENV = "debian:12-base";

    @TempDir
    static Path home;

    static Pyro pyro;

    @BeforeAll
    static void start() {
        pyro = Pyro.builder().home(home).build();
        pyro.materialize(List.of(ENV));
    }

    @AfterAll
    static void stop() {
        for (WorkspaceInfo w : pyro.workspaces().list()) {
            pyro.workspaces().delete(w.id());
        }
        for (VmInfo v : pyro.vms().list()) {
            pyro.vms().delete(v.id());
        }
        pyro.close();
    }

    static String out(CommandResult r) {
        assertThat(r.exitCode()).as(r.stderrText()).isZero();
        return r.stdoutText();
    }

    @Test
    void execRunsInWorkspaceAndTheJournalKeepsEveryCommand() {
        Workspaces ws = pyro.workspaces();
        WorkspaceInfo w = ws.create(MachineRequest.builder(ENV).build());
        assertThat(w.vm().state()).isEqualTo(MachineState.STARTED);
        assertThat(w.seed().mode()).isEqualTo(WorkspaceSeed.Mode.EMPTY);
        assertThat(w.vm().pid()).isPresent();

        assertThat(out(ws.exec(w.id(), CommandRequest.of("pwd"), OutputListener.NONE))).isEqualTo("/workspace\n");
        CommandResult failing = ws.exec(w.id(), CommandRequest.of("sh", "-c", "echo oops >&2; exit 3"), OutputListener.NONE);
        assertThat(failing.exitCode()).isEqualTo(3);
        CommandResult timeout = ws.exec(w.id(), CommandRequest.of("sleep", "60").withTimeoutSeconds(1), OutputListener.NONE);
        assertThat(timeout.timedOut()).isTrue();
        assertThat(timeout.exitCode()).isEqualTo(124);

        List<JournalEntry> log = ws.logs(w.id());
        assertThat(log).extracting(JournalEntry::sequence).containsExactly(1L, 2L, 3L);
        assertThat(log.get(0).command()).containsExactly("pwd");
        assertThat(log.get(0).stdoutTail()).isEqualTo("/workspace\n");
        assertThat(log.get(1).exitCode()).contains(3);
        assertThat(log.get(1).stderrTail()).isEqualTo("oops\n");
        assertThat(log.get(2).timedOut()).isTrue();
        assertThat(ws.status(w.id()).commandCount()).isEqualTo(3);
        ws.delete(w.id());
        assertThatThrownBy(() -> ws.status(w.id())).isInstanceOf(PyroException.class)
                .hasMessageContaining("unknown workspace '" + w.id() + "'");
        assertThat(home.resolve("vms").resolve(w.id())).doesNotExist();
    }

    @Test
    void stopThenStartKeepsWorkspaceFilesAndPackagesElsewhereInTheRootFilesystem() {
        Workspaces ws = pyro.workspaces();
        WorkspaceInfo w = ws.create(MachineRequest.builder(ENV).build());
        out(ws.exec(w.id(), CommandRequest.of("sh", "-c",
                "echo kept > /workspace/file && mkdir -p /usr/local/lib/tool && echo installed > /usr/local/lib/tool/v"
                        + " && sync"), OutputListener.NONE));
        WorkspaceInfo stopped = ws.stop(w.id());
        assertThat(stopped.vm().state()).isEqualTo(MachineState.STOPPED);
        assertThat(stopped.vm().pid()).isEmpty();
        assertThatThrownBy(() -> ws.exec(w.id(), CommandRequest.of("true"), OutputListener.NONE))
                .isInstanceOf(PyroException.class)
                .hasMessageContaining("is stopped; start it with: pyro workspace start " + w.id());
        assertThat(ws.start(w.id()).vm().state()).isEqualTo(MachineState.STARTED);
        assertThat(out(ws.exec(w.id(), CommandRequest.of("cat", "/workspace/file", "/usr/local/lib/tool/v"),
                OutputListener.NONE))).isEqualTo("kept\ninstalled\n");
        ws.delete(w.id());
    }

    @Test
    void aWorkspaceWhoseVmmWasKilledShowsFailedWithTheReasonAndStartsAgain() throws Exception {
        Workspaces ws = pyro.workspaces();
        WorkspaceInfo w = ws.create(MachineRequest.builder(ENV).build());
        out(ws.exec(w.id(), CommandRequest.of("sh", "-c", "echo before > /workspace/f && sync"), OutputListener.NONE));
        long pid = w.vm().pid().orElseThrow();
        new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
        WorkspaceInfo after = ws.status(w.id());
        assertThat(after.vm().state()).isEqualTo(MachineState.FAILED);
        assertThat(after.vm().lastError()).get().asString().contains("no longer running").contains("killed");
        assertThat(ws.list()).filteredOn(x -> x.id().equals(w.id()))
                .allMatch(x -> x.vm().state() != MachineState.STARTED);
        assertThat(ws.start(w.id()).vm().state()).isEqualTo(MachineState.STARTED);
        assertThat(out(ws.exec(w.id(), CommandRequest.of("cat", "/workspace/f"), OutputListener.NONE))).isEqualTo("before\n");
        ws.delete(w.id());
    }

    @Test
    void expiredWorkspacesAreReaped() throws Exception {
        Workspaces ws = pyro.workspaces();
        WorkspaceInfo w = ws.create(MachineRequest.builder(ENV).ttlSeconds(1).build());
        Thread.sleep(1500);
        assertThat(ws.reapExpired()).contains(w.id());
        assertThat(ws.list()).noneMatch(x -> x.id().equals(w.id()));
        assertThat(home.resolve("vms").resolve(w.id())).doesNotExist();
    }

    @Test
    void vmLifecycle() {
        Vms vms = pyro.vms();
        VmInfo created = vms.create(MachineRequest.builder(ENV).memMib(512).build());
        assertThat(created.state()).isEqualTo(MachineState.CREATED);
        assertThat(created.pid()).isEmpty();
        VmInfo started = vms.start(created.id());
        assertThat(started.state()).isEqualTo(MachineState.STARTED);
        assertThat(started.pid()).isPresent();
        assertThat(started.engine()).isEqualTo("qemu");
        assertThat(started.expiresAt()).isAfter(started.createdAt());
        assertThat(vms.stop(created.id()).state()).isEqualTo(MachineState.STOPPED);
        CommandResult r = vms.exec(created.id(), CommandRequest.of("uname", "-r").withCwd("/"), OutputListener.NONE);
        assertThat(r.stdoutText()).endsWith("-pyro\n");
        // vm exec deletes the VM afterwards
        assertThat(vms.list()).noneMatch(v -> v.id().equals(created.id()));
    }

    @Test
    void badInputChangesNothing() throws Exception {
        Workspaces ws = pyro.workspaces();
        int before = ws.list().size();
        assertThatThrownBy(() -> ws.create(MachineRequest.builder("debian:13").build()))
                .hasMessageContaining("unknown environment 'debian:13'");
        assertThatThrownBy(() -> ws.create(MachineRequest.builder(ENV).seedPath(home.resolve("missing")).build()))
                .hasMessageContaining("does not exist");
        Path zip = home.resolve("x.zip");
        try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip))) {
            out.putNextEntry(new java.util.zip.ZipEntry("a.txt"));
            out.write("a real zip archive, which pyro does not take".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            out.closeEntry();
        }
        assertThatThrownBy(() -> ws.create(MachineRequest.builder(ENV).seedPath(zip).build()))
                .hasMessageContaining("unsupported archive type");
        assertThat(ws.list()).hasSize(before);
        assertThatThrownBy(() -> ws.exec("nope", CommandRequest.of("true"), OutputListener.NONE))
                .isInstanceOf(PyroException.class).hasMessageContaining("unknown workspace 'nope'");
    }
}
