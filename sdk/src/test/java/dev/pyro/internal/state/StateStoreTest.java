package dev.pyro.internal.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.Accel;
import dev.pyro.ExecutionMode;
import dev.pyro.PyroException;
import dev.pyro.internal.host.ProcessIdentity;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {
    static final Instant T0 = Instant.parse("2026-01-02T03:04:05.678Z");
    static final ProcessIdentity ME = ProcessIdentity.current();

    @TempDir
    Path tmp;

    final MutableClock clock = new MutableClock(T0);
    StateStore store;

    @BeforeEach
    void open() {
        store = StateStore.open(tmp.resolve("home/state.db"), clock, Duration.ofSeconds(5));
    }

    static final class MutableClock extends Clock {
        volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    static MachineRecord workspace(String id) {
        return MachineRecord.builder(id, MachineKind.WORKSPACE, "debian:12-base", T0)
                .vcpuCount(2).memMib(768).ttlSeconds(600)
                .runDir(Path.of("/h/vms/" + id)).diskPath(Path.of("/h/vms/" + id + "/disk.ext4"))
                .kernel(Path.of("/c/vmlinux"), "aa".repeat(32)).image(Path.of("/c/rootfs.ext4"), "bb".repeat(32))
                .build();
    }

    @Test
    void createsTheFileInWalModeAtTheLatestSchema() throws Exception {
        assertThat(store.file()).isEqualTo(tmp.resolve("home/state.db")).exists();
        assertThat(store.schemaVersion()).isEqualTo(Migrations.latest());
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + store.file());
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery("PRAGMA journal_mode")) {
            assertThat(r.getString(1)).isEqualTo("wal");
        }
        // Opening again migrates nothing and keeps the data.
        store.insertMachine(workspace("w1"));
        StateStore again = StateStore.open(store.file(), clock, Duration.ofSeconds(5));
        assertThat(again.machine("w1")).isPresent();
        assertThat(again.schemaVersion()).isEqualTo(Migrations.latest());
    }

    @Test
    void insertGetListRoundTripEveryField() {
        MachineRecord full = workspace("w1").toBuilder()
                .accel(Accel.TCG).executionMode(ExecutionMode.GUEST_VIRTIO_SERIAL)
                .vmm(new ProcessIdentity(1234, 5678)).owner(ME).engineRef("{\"version\":1}")
                .lastError("boom").allowHostCompat(true).workspaceDir(Path.of("/h/ws"))
                .network("{\"policy\":\"egress\"}").build();
        assertThat(store.insertMachine(full)).isTrue();
        MachineRecord read = store.machine("w1").orElseThrow();
        assertThat(read).isEqualTo(full);
        assertThat(read.expiresAt()).contains(T0.plusSeconds(600).truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        assertThat(read.generation()).isEqualTo(1);
        // A minimal record: every optional column empty.
        MachineRecord vm = MachineRecord.builder("v1", MachineKind.VM, "debian:12-base", T0.plusSeconds(1)).build();
        assertThat(store.insertMachine(vm)).isTrue();
        assertThat(store.machine("v1")).contains(vm);
        assertThat(vm.expiresAt()).isEmpty();
        // The id is taken: nothing changes.
        assertThat(store.insertMachine(workspace("w1").toBuilder().memMib(64).build())).isFalse();
        assertThat(store.machine("w1").orElseThrow().memMib()).isEqualTo(768);

        assertThat(store.machines(Optional.empty())).extracting(MachineRecord::id).containsExactly("w1", "v1");
        assertThat(store.machines(Optional.of(MachineKind.VM))).extracting(MachineRecord::id).containsExactly("v1");
        assertThat(store.machine("nope")).isEmpty();
        assertThat(StateStore.newId()).matches("[0-9a-f]{8}");
    }

    @Test
    void updateIsACompareAndSetOnTheState() {
        store.insertMachine(workspace("w1"));
        clock.now = T0.plusSeconds(5);
        UpdateResult r = store.updateMachine("w1", Set.of(MachineState.CREATED),
                m -> m.toBuilder().state(MachineState.STARTING).owner(ME).build());
        assertThat(r.updated()).isTrue();
        assertThat(r.get().state()).isEqualTo(MachineState.STARTING);
        assertThat(r.get().generation()).isEqualTo(2);
        assertThat(r.get().updatedAt()).isEqualTo(T0.plusSeconds(5));
        assertThat(store.machine("w1")).contains(r.get());

        // A second starter expecting CREATED loses and sees the current record.
        UpdateResult lost = store.updateMachine("w1", Set.of(MachineState.CREATED, MachineState.STOPPED),
                m -> m.withState(MachineState.STARTING));
        assertThat(lost.status()).isEqualTo(UpdateResult.Status.CONFLICT);
        assertThat(lost.record().orElseThrow().state()).isEqualTo(MachineState.STARTING);
        assertThat(store.updateMachine("zz", Set.of(MachineState.CREATED), m -> m).status())
                .isEqualTo(UpdateResult.Status.NOT_FOUND);

        // Illegal transitions and identity changes are refused (a bug), and change nothing.
        assertThatThrownBy(() -> store.updateMachine("w1", EnumSet.allOf(MachineState.class),
                m -> m.withState(MachineState.DELETING))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot go from starting to deleting");
        assertThatThrownBy(() -> store.updateMachine("w1", EnumSet.allOf(MachineState.class),
                m -> m.toBuilder().id("other").build())).isInstanceOf(IllegalArgumentException.class);
        assertThat(store.machine("w1").orElseThrow().generation()).isEqualTo(2);
    }

    @Test
    void compareAndSetUsesTheGeneration() {
        store.insertMachine(workspace("w1"));
        MachineRecord read1 = store.machine("w1").orElseThrow();
        MachineRecord read2 = store.machine("w1").orElseThrow();
        Optional<MachineRecord> first = store.compareAndSet(read1, read1.toBuilder().lastError("a").build());
        assertThat(first).isPresent();
        assertThat(first.get().generation()).isEqualTo(2);
        // read2 is stale now.
        assertThat(store.compareAndSet(read2, read2.toBuilder().lastError("b").build())).isEmpty();
        assertThat(store.machine("w1").orElseThrow().lastError()).contains("a");
    }

    @Test
    void deleteCascadesToSeedAndJournal() {
        store.insertMachine(workspace("w1"));
        store.insertMachine(workspace("w2"));
        store.putSeed(new SeedRecord("w1", SeedMode.DIRECTORY, Optional.of(Path.of("/src")), "/workspace", 3, 10, T0));
        store.startCommand("w1", List.of("true"), "/workspace", ME);
        store.startCommand("w2", List.of("true"), "/workspace", ME);
        assertThat(store.deleteMachine("w1")).isTrue();
        assertThat(store.deleteMachine("w1")).isFalse();
        assertThat(store.seed("w1")).isEmpty();
        assertThat(store.commands("w1", 0, 100)).isEmpty();
        assertThat(store.commands("w2", 0, 100)).hasSize(1);
    }

    @Test
    void seedsRoundTrip() {
        store.insertMachine(workspace("w1"));
        store.insertMachine(workspace("w2"));
        SeedRecord dir = new SeedRecord("w1", SeedMode.DIRECTORY, Optional.of(Path.of("/home/u/project")),
                "/workspace", 120, 4096, T0);
        store.putSeed(dir);
        assertThat(store.seed("w1")).contains(dir);
        SeedRecord empty = SeedRecord.empty("w2", "/workspace", T0);
        store.putSeed(empty);
        assertThat(store.seed("w2")).contains(empty);
        assertThat(store.seed("w3")).isEmpty();
        // No seed without its machine (foreign key).
        assertThatThrownBy(() -> store.putSeed(SeedRecord.empty("ghost", "/workspace", T0)))
                .isInstanceOf(PyroException.class);
        assertThatThrownBy(() -> new SeedRecord("w1", SeedMode.TAR_ARCHIVE, Optional.empty(), "/workspace", 0, 0, T0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void journalAllocatesSequencesAndRecordsTheEnd() {
        store.insertMachine(workspace("w1"));
        JournalEntry e1 = store.startCommand("w1", List.of("sh", "-c", "echo \"hi\"; exit 3"), "/workspace", ME)
                .orElseThrow();
        JournalEntry e2 = store.startCommand("w1", List.of("sleep", "1"), "/", ME).orElseThrow();
        assertThat(e1.sequence()).isEqualTo(1);
        assertThat(e2.sequence()).isEqualTo(2);
        assertThat(e1.state()).isEqualTo(JournalState.RUNNING);
        assertThat(e1.command()).containsExactly("sh", "-c", "echo \"hi\"; exit 3");
        assertThat(e1.startedAt()).isEqualTo(T0.truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        assertThat(e1.executor()).isEqualTo(ME);
        assertThat(store.startCommand("ghost", List.of("x"), "/", ME)).isEmpty();

        clock.now = T0.plusSeconds(2);
        byte[] out = "hi\n".getBytes(StandardCharsets.UTF_8);
        byte[] err = new byte[] {'b', 'a', 'd', (byte) 0xff, 0, '\n'};
        JournalEntry done = store.finishCommand("w1", 1, JournalOutcome.finished(3, false, 1999, out, err))
                .orElseThrow();
        assertThat(done.state()).isEqualTo(JournalState.FINISHED);
        assertThat(done.exitCode()).hasValue(3);
        assertThat(done.durationMillis()).hasValue(1999);
        assertThat(done.endedAt()).contains(T0.plusSeconds(2));
        assertThat(done.stdoutTail()).isEqualTo("hi\n");
        assertThat(done.stderrTail()).isEqualTo("bad\uFFFD\u0000\n");
        // Finishing twice (or after recovery failed it) does nothing.
        assertThat(store.finishCommand("w1", 1, JournalOutcome.finished(0, false, 1, out, err))).isEmpty();
        JournalEntry failed = store.finishCommand("w1", 2, JournalOutcome.failed("VM died", 5, new byte[0],
                new byte[0])).orElseThrow();
        assertThat(failed.state()).isEqualTo(JournalState.FAILED);
        assertThat(failed.error()).contains("VM died");
        assertThat(failed.exitCode()).isEmpty();

        // Sequence numbers are never reused, even when the newest entries are gone.
        assertThat(store.commands("w1", 0, 10)).extracting(JournalEntry::sequence).containsExactly(1L, 2L);
        assertThat(store.commands("w1", 1, 10)).extracting(JournalEntry::sequence).containsExactly(2L);
        assertThat(store.commands("w1", 0, 1)).hasSize(1);
        store.write(tx -> {
            try (Statement s = tx.connection().createStatement()) {
                return s.executeUpdate("DELETE FROM journal WHERE machine_id = 'w1'");
            }
        });
        assertThat(store.startCommand("w1", List.of("true"), "/", ME).orElseThrow().sequence()).isEqualTo(3);
    }

    @Test
    void tailsKeepTheEndAndNeverSplitACharacter() {
        byte[] big = new byte[10_000];
        java.util.Arrays.fill(big, (byte) 'x');
        big[big.length - 1] = '!';
        assertThat(Tails.utf8Tail(big, StateStore.TAIL_BYTES)).hasSize(StateStore.TAIL_BYTES).endsWith("x!");
        byte[] euro = "€€€".getBytes(StandardCharsets.UTF_8); // 3 bytes each
        assertThat(Tails.utf8Tail(euro, 7)).isEqualTo("€€"); // the cut first character is dropped
        assertThat(Tails.utf8Tail(new byte[0], 10)).isEmpty();
    }

    @Test
    void expiredMachinesByTheClock() {
        store.insertMachine(workspace("w1")); // ttl 600
        store.insertMachine(workspace("w2").toBuilder().ttlSeconds(60).expiresAt(T0.plusSeconds(60)).build());
        store.insertMachine(MachineRecord.builder("v1", MachineKind.VM, "debian:12-base", T0).build()); // no ttl
        clock.now = T0.plusSeconds(59);
        assertThat(store.expiredMachines()).isEmpty();
        clock.now = T0.plusSeconds(60);
        assertThat(store.expiredMachines()).extracting(MachineRecord::id).containsExactly("w2");
        clock.now = T0.plusSeconds(3600);
        assertThat(store.expiredMachines()).extracting(MachineRecord::id).containsExactly("w2", "w1");
        assertThat(store.machine("w2").orElseThrow().expiredAt(clock.now)).isTrue();
        // A machine being deleted is not reaped again.
        store.updateMachine("w2", Set.of(MachineState.CREATED), m -> m.toBuilder().state(MachineState.DELETING)
                .owner(ME).build());
        assertThat(store.expiredMachines()).extracting(MachineRecord::id).containsExactly("w1");
    }

    @Test
    void abandonedCommandsAreFailedOnlyWhenTheirExecutorIsDead() {
        store.insertMachine(workspace("w1"));
        ProcessIdentity dead = new ProcessIdentity(ME.pid(), ME.startTime() + 1);
        store.startCommand("w1", List.of("a"), "/", ME);
        store.startCommand("w1", List.of("b"), "/", dead);
        List<JournalEntry> failed = store.failAbandonedCommands(ProcessIdentity::isAlive);
        assertThat(failed).extracting(JournalEntry::sequence).containsExactly(2L);
        assertThat(failed.get(0).error().orElseThrow()).contains("pid " + ME.pid(), "ended before the command did");
        assertThat(store.commands("w1", 0, 10)).extracting(JournalEntry::state)
                .containsExactly(JournalState.RUNNING, JournalState.FAILED);
    }

    @Test
    void inTransitionListsInterruptedCandidates() {
        store.insertMachine(workspace("w1"));
        store.insertMachine(workspace("w2"));
        store.updateMachine("w1", Set.of(MachineState.CREATED), m -> m.toBuilder().state(MachineState.STARTING)
                .owner(ME).build());
        List<MachineRecord> busy = store.read(tx -> tx.machines().inTransition());
        assertThat(busy).extracting(MachineRecord::id).containsExactly("w1");
    }

    @Test
    void transactionsCommitOrRollBackAsAWhole() {
        store.insertMachine(workspace("w1"));
        assertThatThrownBy(() -> store.write(tx -> {
            tx.machines().insert(workspace("w2"));
            tx.journal().start("w1", List.of("x"), "/", ME);
            throw new IllegalStateException("changed my mind");
        })).hasMessage("changed my mind");
        assertThat(store.machine("w2")).isEmpty();
        assertThat(store.commands("w1", 0, 10)).isEmpty();
        // Both in one transaction.
        store.write(tx -> {
            tx.machines().insert(workspace("w2"));
            tx.seeds().put(SeedRecord.empty("w2", "/workspace", tx.now()));
            return null;
        });
        assertThat(store.seed("w2")).isPresent();
        // Nested transactions would wait for themselves: refused at once.
        AtomicReference<Throwable> nested = new AtomicReference<>();
        store.read(tx -> {
            try {
                store.machine("w1");
            } catch (IllegalStateException e) {
                nested.set(e);
            }
            return null;
        });
        assertThat(nested.get()).hasMessageContaining("nested state transaction");
    }

    @Test
    void transitionTableIsSane() {
        for (MachineState s : MachineState.values()) {
            assertThat(s.canBecome(s)).isTrue();
        }
        assertThat(MachineState.STOPPED.canBecome(MachineState.STARTING)).isTrue();
        assertThat(MachineState.FAILED.canBecome(MachineState.STARTING)).isTrue();
        assertThat(MachineState.STARTED.canBecome(MachineState.FAILED)).isTrue();
        assertThat(MachineState.STOPPED.canBecome(MachineState.STARTED)).isFalse();
        assertThat(MachineState.DELETING.canBecome(MachineState.STARTED)).isFalse();
        assertThat(EnumSet.allOf(MachineState.class)).filteredOn(MachineState::inTransition)
                .containsExactlyInAnyOrder(MachineState.STARTING, MachineState.STOPPING, MachineState.DELETING);
    }

    @Test
    void aDatabaseOfANewerPyroIsRefused() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + store.file());
                Statement s = c.createStatement()) {
            s.execute("INSERT INTO schema_version (version, applied_at) VALUES (99, 0)");
        }
        assertThatThrownBy(() -> StateStore.open(store.file(), clock, Duration.ofSeconds(5)))
                .isInstanceOfSatisfying(PyroException.class, e -> {
                    assertThat(e.kind()).isEqualTo(PyroException.Kind.HOST_SETUP);
                    assertThat(e.getMessage()).contains("newer pyro", "schema 99", "upgrade pyro");
                });
    }

    @Test
    void aFileThatIsNotADatabaseIsReportedAsDamaged() throws Exception {
        Path junk = tmp.resolve("junk/state.db");
        Files.createDirectories(junk.getParent());
        Files.write(junk, new byte[8192]);
        Files.writeString(junk, "this is not sqlite at all, just text that fills the header.........");
        assertThatThrownBy(() -> StateStore.open(junk, clock, Duration.ofSeconds(1)))
                .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.getMessage())
                        .contains(junk.toString(), "damaged", "move it away"));
    }

    @Test
    void aVersion1DatabaseOpensWithItsMachinesAndWithoutNetworks() throws Exception {
        Path file = tmp.resolve("v1/state.db");
        Files.createDirectories(file.getParent());
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            Migrations.migrate(c, 1, List.of(Migrations.ALL.get(0)));
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO machines (id, kind, environment, state, engine, vcpu_count, mem_mib,"
                        + " ttl_seconds, created_at, updated_at) VALUES ('old1', 'vm', 'e', 'stopped', 'qemu', 1, 1,"
                        + " 0, 0, 0)");
            }
        }
        StateStore upgraded = StateStore.open(file, clock, Duration.ofSeconds(5));
        assertThat(upgraded.schemaVersion()).isEqualTo(Migrations.latest());
        MachineRecord old = upgraded.machine("old1").orElseThrow();
        assertThat(old.network()).isEmpty();
        upgraded.updateMachine("old1", Set.of(MachineState.STOPPED), m -> m.toBuilder().network("{}").build());
        assertThat(upgraded.machine("old1").orElseThrow().network()).contains("{}");
    }

    @Test
    void migrationsRunForwardFromAnOlderVersion() throws Exception {
        Path file = tmp.resolve("old/state.db");
        Files.createDirectories(file.getParent());
        String v2 = "ALTER TABLE machines ADD COLUMN label TEXT; CREATE INDEX machines_by_label ON machines (label)";
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            assertThat(Migrations.migrate(c, 1, List.of(Migrations.ALL.get(0)))).isZero();
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO machines (id, kind, environment, state, engine, vcpu_count, mem_mib,"
                        + " ttl_seconds, created_at, updated_at) VALUES ('old1', 'vm', 'e', 'stopped', 'qemu', 1, 1,"
                        + " 0, 0, 0)");
            }
            assertThat(Migrations.migrate(c, 2, List.of(Migrations.ALL.get(0), v2))).isEqualTo(1);
            assertThat(Migrations.migrate(c, 3, List.of(Migrations.ALL.get(0), v2))).isEqualTo(2);
            try (Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT id, label FROM machines")) {
                assertThat(r.next()).isTrue();
                assertThat(r.getString("id")).isEqualTo("old1");
                assertThat(r.getString("label")).isNull();
            }
            try (Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT group_concat(version) FROM schema_version")) {
                assertThat(r.getString(1)).isEqualTo("1,2");
            }
        }
    }

    @Test
    void oneOperationCostsAConnectionAndATransaction() {
        store.insertMachine(workspace("w1"));
        int n = 200;
        long t = System.nanoTime();
        for (int i = 0; i < n; i++) {
            store.machine("w1");
        }
        long readUs = (System.nanoTime() - t) / 1000 / n;
        t = System.nanoTime();
        for (int i = 0; i < n; i++) {
            store.startCommand("w1", List.of("true"), "/", ME);
        }
        long writeUs = (System.nanoTime() - t) / 1000 / n;
        System.err.println("state store, one process: read " + readUs + " us, write (journal start) " + writeUs
                + " us per operation (connection opened and closed each time, synchronous=FULL)");
        assertThat(readUs).isLessThan(50_000);
        assertThat(writeUs).isLessThan(100_000);
    }
}
