package dev.pyro.internal.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Several processes on one database: nothing lost, nothing duplicated; kill -9 of a writer harms nothing. */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class StateConcurrencyTest {
    @TempDir
    Path tmp;

    static Process child(String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), StateWorkerMain.class.getName()));
        cmd.addAll(Arrays.asList(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    StateStore open(Path db) {
        return StateStore.open(db, Clock.systemUTC(), Duration.ofSeconds(60));
    }

    @Test
    void fourProcessesHammeringOneDatabaseLoseAndDuplicateNothing() throws Exception {
        Path db = tmp.resolve("state.db");
        StateStore store = open(db);
        int workers = 4;
        int iterations = 60;
        int races = 20;
        java.time.Instant now = java.time.Instant.now();
        store.insertMachine(MachineRecord.builder("shared", MachineKind.WORKSPACE, "e", now).build());
        store.insertMachine(MachineRecord.builder("counter", MachineKind.VM, "e", now).memMib(1000).vcpuCount(1)
                .build());
        for (int k = 0; k < races; k++) {
            store.insertMachine(MachineRecord.builder("race-" + k, MachineKind.VM, "e", now).build());
        }
        long start = System.nanoTime();
        List<Process> children = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            children.add(child("hammer", db.toString(), "w" + w, Integer.toString(iterations), Integer.toString(races)));
        }
        List<Long> seqs = new ArrayList<>();
        Map<Integer, Integer> wins = new HashMap<>();
        for (Process p : children) {
            List<String> lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))
                    .lines().collect(Collectors.toList());
            assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
            assertThat(lines).last().isEqualTo("DONE");
            for (String l : lines) {
                if (l.startsWith("SEQ ")) {
                    seqs.add(Long.parseLong(l.substring(4)));
                } else if (l.startsWith("WON ")) {
                    wins.merge(Integer.parseInt(l.substring(4)), 1, Integer::sum);
                }
            }
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        int total = workers * iterations;
        System.err.println(workers + " processes x " + iterations + " iterations (insert, journal start, 2 counter"
                + " updates, 1 CAS race each; >= " + total * 5 + " transactions): " + ms + " ms");

        // Every journal sequence handed out once, 1..total with no gap.
        assertThat(seqs).hasSize(total).doesNotHaveDuplicates();
        assertThat(seqs).containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, total).boxed().toList());
        assertThat(store.commands("shared", 0, total + 10)).hasSize(total);
        // No lost update: each worker added 1 per iteration to both counters.
        MachineRecord counter = store.machine("counter").orElseThrow();
        assertThat(counter.memMib()).isEqualTo(1000 + total);
        assertThat(counter.vcpuCount()).isEqualTo(1 + total);
        assertThat(counter.generation()).isEqualTo(1 + 2L * total);
        // Every race won exactly once.
        assertThat(wins).hasSize(races).allSatisfy((k, n) -> assertThat(n).as("winners of race-%d", k).isEqualTo(1));
        // Every insert is there.
        assertThat(store.machines(Optional.of(MachineKind.VM))).hasSize(total + 1 + races);
        assertThat(integrityCheck(db)).isEqualTo("ok");
    }

    @Test
    void killingAWriterMidTransactionLeavesAConsistentDatabase() throws Exception {
        Path db = tmp.resolve("state.db");
        StateStore store = open(db);
        store.insertMachine(MachineRecord.builder("shared", MachineKind.WORKSPACE, "e", java.time.Instant.now()).build());
        Process holder = child("hold", db.toString());
        BufferedReader r = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        assertThat(r.readLine()).isEqualTo("IN_TX");
        holder.destroyForcibly(); // SIGKILL inside BEGIN IMMEDIATE ... (uncommitted writes)
        holder.waitFor(10, TimeUnit.SECONDS);
        long t = System.nanoTime();
        // The write lock died with it: the next writer gets in at once, and sees none of its writes.
        assertThat(store.startCommand("shared", List.of("after"), "/", dev.pyro.internal.host.ProcessIdentity.current())
                .orElseThrow().sequence()).isEqualTo(1);
        assertThat((System.nanoTime() - t) / 1_000_000).isLessThan(2000);
        assertThat(store.machine("half")).isEmpty();
        assertThat(integrityCheck(db)).isEqualTo("ok");

        // A writer killed at a random moment of a busy loop: every transaction it reported
        // committed is there whole, at most one more (committed but not yet reported), none half.
        Process loop = child("commit-loop", db.toString());
        BufferedReader lr = new BufferedReader(new InputStreamReader(loop.getInputStream(), StandardCharsets.UTF_8));
        String last = null;
        for (int i = 0; i < 40; i++) {
            last = lr.readLine();
        }
        // kill(1), not destroyForcibly(), which would also close our end of its stdout.
        new ProcessBuilder("kill", "-KILL", Long.toString(loop.pid())).start().waitFor();
        loop.waitFor(10, TimeUnit.SECONDS);
        int reported = Integer.parseInt(last.substring("COMMITTED ".length()));
        for (String l; (l = lr.readLine()) != null;) {
            reported = Integer.parseInt(l.substring("COMMITTED ".length()));
        }
        int machines = 0;
        int seeds = 0;
        int journal = 0;
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            machines = count(s, "SELECT count(*) FROM machines WHERE id LIKE 'loop-%'");
            seeds = count(s, "SELECT count(*) FROM workspace_seeds WHERE machine_id LIKE 'loop-%'");
            journal = count(s, "SELECT count(*) FROM journal WHERE machine_id LIKE 'loop-%'");
        }
        System.err.println("commit loop killed after " + reported + " reported commits; " + machines + " in the database");
        assertThat(machines).isBetween(reported, reported + 1);
        assertThat(seeds).isEqualTo(machines);
        assertThat(journal).isEqualTo(machines);
        assertThat(integrityCheck(db)).isEqualTo("ok");
    }

    static int count(Statement s, String sql) throws Exception {
        try (ResultSet r = s.executeQuery(sql)) {
            return r.getInt(1);
        }
    }

    static String integrityCheck(Path db) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("PRAGMA integrity_check")) {
            String result = r.getString(1);
            try (ResultSet fk = s.executeQuery("PRAGMA foreign_key_check")) {
                if (fk.next()) {
                    return "foreign key violation in " + fk.getString(1);
                }
            }
            return result;
        }
    }
}
