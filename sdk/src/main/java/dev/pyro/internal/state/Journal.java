package dev.pyro.internal.state;

import dev.pyro.internal.host.ProcessIdentity;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/** The {@code journal} table, inside one transaction ({@link StateTx#journal()}). */
public final class Journal {
    private static final JsonMapper JSON = JsonMapper.shared();

    private final Connection c;
    private final Machines machines;
    private final Instant now;
    private final int tailBytes;

    Journal(Connection c, Machines machines, Instant now, int tailBytes) {
        this.c = c;
        this.machines = machines;
        this.now = now;
        this.tailBytes = tailBytes;
    }

    /**
     * Takes the machine's next sequence number and records the command as running, started now
     * by {@code executor}. Sequence numbers are never reused, even after entries are deleted.
     *
     * @return the new entry, or empty if there is no such machine
     */
    public Optional<JournalEntry> start(String machineId, List<String> command, String cwd, ProcessIdentity executor)
            throws SQLException {
        Optional<Long> seq = machines.nextJournalSequence(machineId);
        if (seq.isEmpty()) {
            return Optional.empty();
        }
        try (PreparedStatement s = c.prepareStatement("INSERT INTO journal (machine_id, seq, command, cwd, state,"
                + " started_at, executor_pid, executor_start_time) VALUES (?, ?, ?, ?, 'running', ?, ?, ?)")) {
            s.setString(1, machineId);
            s.setLong(2, seq.get());
            s.setString(3, JSON.writeValueAsString(command));
            s.setString(4, cwd);
            s.setLong(5, now.toEpochMilli());
            s.setLong(6, executor.pid());
            s.setLong(7, executor.startTime());
            s.executeUpdate();
        }
        return get(machineId, seq.get());
    }

    /**
     * Records how a running command ended (compare-and-set on state {@code running}).
     *
     * @return the ended entry, or empty if there is no such entry or it is no longer running
     *     (e.g. recovery already marked it failed)
     */
    public Optional<JournalEntry> finish(String machineId, long sequence, JournalOutcome outcome) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE journal SET state = ?, exit_code = ?, timed_out = ?,"
                + " duration_ms = ?, ended_at = ?, stdout_tail = ?, stderr_tail = ?, error = ?"
                + " WHERE machine_id = ? AND seq = ? AND state = 'running'")) {
            s.setString(1, outcome.state().wireName());
            Sql.setLong(s, 2, outcome.exitCode().isPresent() ? Optional.of((long) outcome.exitCode().getAsInt())
                    : Optional.empty());
            s.setInt(3, outcome.timedOut() ? 1 : 0);
            s.setLong(4, outcome.durationMillis());
            s.setLong(5, now.toEpochMilli());
            s.setString(6, Tails.utf8Tail(outcome.stdout(), tailBytes));
            s.setString(7, Tails.utf8Tail(outcome.stderr(), tailBytes));
            Sql.setText(s, 8, outcome.error());
            s.setString(9, machineId);
            s.setLong(10, sequence);
            if (s.executeUpdate() != 1) {
                return Optional.empty();
            }
        }
        return get(machineId, sequence);
    }

    public Optional<JournalEntry> get(String machineId, long sequence) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT * FROM journal WHERE machine_id = ? AND seq = ?")) {
            s.setString(1, machineId);
            s.setLong(2, sequence);
            List<JournalEntry> found = readAll(s);
            return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
        }
    }

    /** A machine's entries with a sequence above {@code afterSequence} (0: all), in order, at most {@code limit}. */
    public List<JournalEntry> list(String machineId, long afterSequence, int limit) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT * FROM journal WHERE machine_id = ? AND seq > ?"
                + " ORDER BY seq LIMIT ?")) {
            s.setString(1, machineId);
            s.setLong(2, afterSequence);
            s.setInt(3, limit);
            return readAll(s);
        }
    }

    /** Every running entry of every machine (for crash recovery). */
    public List<JournalEntry> running() throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT * FROM journal WHERE state = 'running'"
                + " ORDER BY machine_id, seq")) {
            return readAll(s);
        }
    }

    private static List<JournalEntry> readAll(PreparedStatement s) throws SQLException {
        List<JournalEntry> all = new ArrayList<>();
        try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
                all.add(read(r));
            }
        }
        return all;
    }

    private static JournalEntry read(ResultSet r) throws SQLException {
        List<String> command;
        try {
            command = List.of(JSON.readValue(r.getString("command"), String[].class));
        } catch (JacksonException e) {
            throw new SQLException("journal entry with a bad command: " + e.getOriginalMessage());
        }
        Optional<Long> exit = Sql.optLong(r, "exit_code");
        Optional<Long> duration = Sql.optLong(r, "duration_ms");
        return new JournalEntry(r.getString("machine_id"), r.getLong("seq"), command, r.getString("cwd"),
                JournalState.fromWire(r.getString("state")),
                exit.isPresent() ? OptionalInt.of(exit.get().intValue()) : OptionalInt.empty(),
                r.getInt("timed_out") != 0,
                duration.isPresent() ? OptionalLong.of(duration.get()) : OptionalLong.empty(),
                Instant.ofEpochMilli(r.getLong("started_at")), Sql.time(r, "ended_at"), r.getString("stdout_tail"),
                r.getString("stderr_tail"),
                new ProcessIdentity(r.getLong("executor_pid"), r.getLong("executor_start_time")),
                Sql.text(r, "error"));
    }
}
