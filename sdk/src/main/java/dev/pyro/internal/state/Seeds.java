package dev.pyro.internal.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

/** The {@code workspace_seeds} table, inside one transaction ({@link StateTx#seeds()}). */
public final class Seeds {
    private final Connection c;

    Seeds(Connection c) {
        this.c = c;
    }

    /**
     * Records how a workspace was seeded (replacing an earlier record of the same workspace).
     *
     * @throws SQLException (a foreign key error) if the machine does not exist
     */
    public void put(SeedRecord seed) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT OR REPLACE INTO workspace_seeds (machine_id, mode,"
                + " source_path, destination, entry_count, bytes_written, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            s.setString(1, seed.machineId());
            s.setString(2, seed.mode().wireName());
            Sql.setPath(s, 3, seed.sourcePath());
            s.setString(4, seed.destination());
            s.setLong(5, seed.entryCount());
            s.setLong(6, seed.bytesWritten());
            s.setLong(7, seed.createdAt().toEpochMilli());
            s.executeUpdate();
        }
    }

    public Optional<SeedRecord> get(String machineId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT * FROM workspace_seeds WHERE machine_id = ?")) {
            s.setString(1, machineId);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return Optional.empty();
                }
                return Optional.of(new SeedRecord(r.getString("machine_id"), SeedMode.fromWire(r.getString("mode")),
                        Sql.path(r, "source_path"), r.getString("destination"), r.getLong("entry_count"),
                        r.getLong("bytes_written"), Instant.ofEpochMilli(r.getLong("created_at"))));
            }
        }
    }
}
