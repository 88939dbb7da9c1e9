package dev.pyro.internal.state;

import dev.pyro.Accel;
import dev.pyro.ExecutionMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/** The {@code machines} table, inside one transaction ({@link StateTx#machines()}). */
public final class Machines {
    private static final String COLUMNS = "id, kind, environment, state, engine, accel, execution_mode, vcpu_count,"
            + " mem_mib, ttl_seconds, created_at, expires_at, updated_at, pid, pid_start_time, run_dir, disk_path,"
            + " engine_ref, kernel_path, kernel_sha256, image_path, image_sha256, owner_pid, owner_start_time,"
            + " last_error, allow_host_compat, workspace_dir, generation, network";

    private final Connection c;
    private final Instant now;

    Machines(Connection c, Instant now) {
        this.c = c;
        this.now = now;
    }

    /**
     * Inserts a new machine as given (its {@code updatedAt} and {@code generation} are set to
     * its creation time and 1).
     *
     * @return false, changing nothing, if a machine with this id exists (pick another id)
     */
    public boolean insert(MachineRecord m) throws SQLException {
        MachineRecord fresh = m.toBuilder().updatedAt(m.createdAt()).generation(1).build();
        try (PreparedStatement s = c.prepareStatement("INSERT INTO machines (" + COLUMNS + ") VALUES ("
                + "?,".repeat(28) + "?) ON CONFLICT (id) DO NOTHING")) {
            bind(s, fresh);
            return s.executeUpdate() == 1;
        }
    }

    public Optional<MachineRecord> get(String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM machines WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(read(r)) : Optional.empty();
            }
        }
    }

    /** All machines, or those of one kind, oldest first. */
    public List<MachineRecord> list(Optional<MachineKind> kind) throws SQLException {
        String where = kind.isPresent() ? " WHERE kind = ?" : "";
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM machines" + where
                + " ORDER BY created_at, id")) {
            if (kind.isPresent()) {
                s.setString(1, kind.get().wireName());
            }
            return readAll(s);
        }
    }

    /** Machines whose {@code expires_at} is at or before {@code at}, soonest first (deleting ones left out). */
    public List<MachineRecord> expired(Instant at) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM machines WHERE expires_at IS NOT NULL"
                + " AND expires_at <= ? AND state <> 'deleting' ORDER BY expires_at, id")) {
            s.setLong(1, at.toEpochMilli());
            return readAll(s);
        }
    }

    /** Machines in a transition ({@link MachineState#inTransition()}): the candidates for crash recovery. */
    public List<MachineRecord> inTransition() throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM machines WHERE state IN"
                + " ('starting', 'stopping', 'deleting') ORDER BY updated_at, id")) {
            return readAll(s);
        }
    }

    /**
     * Compare-and-set on the state: if the machine is in one of {@code expected}, replaces it
     * with {@code change} applied to it (id, kind, creation time and generation cannot change;
     * updatedAt becomes now, generation + 1).
     *
     * @throws IllegalArgumentException if the change moves to a state the current one may not
     *     become ({@link MachineState#next()}), or changes the id
     */
    public UpdateResult update(String id, Set<MachineState> expected, UnaryOperator<MachineRecord> change)
            throws SQLException {
        Optional<MachineRecord> current = get(id);
        if (current.isEmpty()) {
            return UpdateResult.notFound();
        }
        MachineRecord before = current.get();
        if (!expected.contains(before.state())) {
            return UpdateResult.conflict(before);
        }
        MachineRecord after = change.apply(before);
        check(before, after);
        MachineRecord stored = after.toBuilder().updatedAt(now).generation(before.generation() + 1).build();
        try (PreparedStatement s = c.prepareStatement("UPDATE machines SET (" + COLUMNS + ") = ("
                + "?,".repeat(28) + "?) WHERE id = ? AND generation = ?")) {
            bind(s, stored);
            s.setString(30, id);
            s.setLong(31, before.generation());
            if (s.executeUpdate() != 1) {
                // Cannot happen inside a write transaction (nobody else writes meanwhile).
                throw new SQLException("machine " + id + " changed under a write transaction");
            }
        }
        return UpdateResult.updated(stored);
    }

    /**
     * Optimistic compare-and-set on the whole record: writes {@code updated} only if the stored
     * record still has {@code expected}'s generation (nobody changed it since it was read).
     *
     * @return the stored record, or empty if it changed (or vanished) meanwhile
     */
    public Optional<MachineRecord> compareAndSet(MachineRecord expected, MachineRecord updated) throws SQLException {
        if (!expected.id().equals(updated.id())) {
            throw new IllegalArgumentException("compareAndSet cannot change the id");
        }
        Optional<MachineRecord> current = get(expected.id());
        if (current.isEmpty() || current.get().generation() != expected.generation()) {
            return Optional.empty();
        }
        UpdateResult r = update(expected.id(), Set.of(current.get().state()), c -> updated);
        return Optional.of(r.get());
    }

    /** Deletes the machine with its seed and journal. @return false if there was none */
    public boolean delete(String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("DELETE FROM machines WHERE id = ?")) {
            s.setString(1, id);
            return s.executeUpdate() == 1;
        }
    }

    /** Takes the next journal sequence number of a machine (1, 2, ...); empty if there is no such machine. */
    Optional<Long> nextJournalSequence(String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE machines SET next_journal_seq = next_journal_seq + 1"
                + " WHERE id = ? RETURNING next_journal_seq - 1")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(r.getLong(1)) : Optional.empty();
            }
        }
    }

    private static void check(MachineRecord before, MachineRecord after) {
        if (!after.id().equals(before.id()) || after.kind() != before.kind()
                || !after.createdAt().equals(before.createdAt())) {
            throw new IllegalArgumentException("an update cannot change a machine's id, kind or creation time");
        }
        if (!before.state().canBecome(after.state())) {
            throw new IllegalArgumentException("machine " + before.id() + " cannot go from "
                    + before.state().wireName() + " to " + after.state().wireName());
        }
    }

    private List<MachineRecord> readAll(PreparedStatement s) throws SQLException {
        List<MachineRecord> all = new ArrayList<>();
        try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
                all.add(read(r));
            }
        }
        return all;
    }

    private static void bind(PreparedStatement s, MachineRecord m) throws SQLException {
        s.setString(1, m.id());
        s.setString(2, m.kind().wireName());
        s.setString(3, m.environment());
        s.setString(4, m.state().wireName());
        s.setString(5, m.engine());
        Sql.setText(s, 6, m.accel().map(Accel::wireName));
        Sql.setText(s, 7, m.executionMode().map(ExecutionMode::wireName));
        s.setInt(8, m.vcpuCount());
        s.setInt(9, m.memMib());
        s.setLong(10, m.ttlSeconds());
        s.setLong(11, m.createdAt().toEpochMilli());
        Sql.setTime(s, 12, m.expiresAt());
        s.setLong(13, m.updatedAt().toEpochMilli());
        Sql.setProcess(s, 14, m.vmm());
        Sql.setPath(s, 16, m.runDir());
        Sql.setPath(s, 17, m.diskPath());
        Sql.setText(s, 18, m.engineRef());
        Sql.setPath(s, 19, m.kernelPath());
        Sql.setText(s, 20, m.kernelSha256());
        Sql.setPath(s, 21, m.imagePath());
        Sql.setText(s, 22, m.imageSha256());
        Sql.setProcess(s, 23, m.owner());
        Sql.setText(s, 25, m.lastError());
        s.setInt(26, m.allowHostCompat() ? 1 : 0);
        Sql.setPath(s, 27, m.workspaceDir());
        s.setLong(28, m.generation());
        Sql.setText(s, 29, m.network());
    }

    private static MachineRecord read(ResultSet r) throws SQLException {
        MachineRecord.Builder b = MachineRecord.builder(r.getString("id"), MachineKind.fromWire(r.getString("kind")),
                r.getString("environment"), Instant.ofEpochMilli(r.getLong("created_at")))
                .state(MachineState.fromWire(r.getString("state")))
                .engine(r.getString("engine"))
                .accel(Sql.text(r, "accel").map(a -> Accel.valueOf(a.toUpperCase(Locale.ROOT))).orElse(null))
                .executionMode(Sql.text(r, "execution_mode").map(Machines::executionMode).orElse(null))
                .vcpuCount(r.getInt("vcpu_count"))
                .memMib(r.getInt("mem_mib"))
                .ttlSeconds(r.getLong("ttl_seconds"))
                .expiresAt(Sql.time(r, "expires_at").orElse(null))
                .updatedAt(Instant.ofEpochMilli(r.getLong("updated_at")))
                .vmm(Sql.process(r, "pid", "pid_start_time").orElse(null))
                .runDir(Sql.path(r, "run_dir").orElse(null))
                .diskPath(Sql.path(r, "disk_path").orElse(null))
                .engineRef(Sql.text(r, "engine_ref").orElse(null))
                .kernel(Sql.path(r, "kernel_path").orElse(null), Sql.text(r, "kernel_sha256").orElse(null))
                .image(Sql.path(r, "image_path").orElse(null), Sql.text(r, "image_sha256").orElse(null))
                .owner(Sql.process(r, "owner_pid", "owner_start_time").orElse(null))
                .lastError(Sql.text(r, "last_error").orElse(null))
                .allowHostCompat(r.getInt("allow_host_compat") != 0)
                .workspaceDir(Sql.path(r, "workspace_dir").orElse(null))
                .generation(r.getLong("generation"))
                .network(Sql.text(r, "network").orElse(null));
        return b.build();
    }

    private static ExecutionMode executionMode(String wire) {
        for (ExecutionMode m : ExecutionMode.values()) {
            if (m.wireName().equals(wire)) {
                return m;
            }
        }
        throw new IllegalStateException("unknown execution mode '" + wire + "' in the state database");
    }
}
