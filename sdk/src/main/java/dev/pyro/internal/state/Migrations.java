package dev.pyro.internal.state;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The schema, as forward-only migrations: migration N takes a database from version N-1 to N.
 * A database's version is the highest row of {@code schema_version}. Never edit a released
 * migration; add the next one (docs/state.md, "Schema").
 */
final class Migrations {
    /** Migration 1: machines, workspace seeds and the command journal. */
    private static final String V1 = """
            CREATE TABLE machines (
              id TEXT PRIMARY KEY,
              kind TEXT NOT NULL CHECK (kind IN ('vm', 'workspace')),
              environment TEXT NOT NULL,
              state TEXT NOT NULL CHECK (state IN
                ('created', 'starting', 'started', 'stopping', 'stopped', 'failed', 'deleting')),
              engine TEXT NOT NULL CHECK (engine IN ('qemu', 'firecracker', 'host_compat')),
              accel TEXT CHECK (accel IN ('kvm', 'tcg', 'none')),
              execution_mode TEXT,
              vcpu_count INTEGER NOT NULL CHECK (vcpu_count >= 1),
              mem_mib INTEGER NOT NULL CHECK (mem_mib >= 1),
              ttl_seconds INTEGER NOT NULL CHECK (ttl_seconds >= 0),
              created_at INTEGER NOT NULL,
              expires_at INTEGER,
              updated_at INTEGER NOT NULL,
              pid INTEGER,
              pid_start_time INTEGER,
              run_dir TEXT,
              disk_path TEXT,
              engine_ref TEXT,
              kernel_path TEXT,
              kernel_sha256 TEXT,
              image_path TEXT,
              image_sha256 TEXT,
              owner_pid INTEGER,
              owner_start_time INTEGER,
              last_error TEXT,
              allow_host_compat INTEGER NOT NULL DEFAULT 0 CHECK (allow_host_compat IN (0, 1)),
              workspace_dir TEXT,
              next_journal_seq INTEGER NOT NULL DEFAULT 1,
              generation INTEGER NOT NULL DEFAULT 1,
              CHECK ((pid IS NULL) = (pid_start_time IS NULL)),
              CHECK ((owner_pid IS NULL) = (owner_start_time IS NULL))
            ) STRICT;
            CREATE INDEX machines_by_kind ON machines (kind, created_at);
            CREATE INDEX machines_by_expiry ON machines (expires_at) WHERE expires_at IS NOT NULL;

            CREATE TABLE workspace_seeds (
              machine_id TEXT PRIMARY KEY REFERENCES machines (id) ON DELETE CASCADE,
              mode TEXT NOT NULL CHECK (mode IN ('empty', 'directory', 'tar_archive')),
              source_path TEXT,
              destination TEXT NOT NULL,
              entry_count INTEGER NOT NULL CHECK (entry_count >= 0),
              bytes_written INTEGER NOT NULL CHECK (bytes_written >= 0),
              created_at INTEGER NOT NULL
            ) STRICT;

            CREATE TABLE journal (
              machine_id TEXT NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
              seq INTEGER NOT NULL CHECK (seq >= 1),
              command TEXT NOT NULL,
              cwd TEXT NOT NULL,
              state TEXT NOT NULL CHECK (state IN ('running', 'finished', 'failed')),
              exit_code INTEGER,
              timed_out INTEGER NOT NULL DEFAULT 0 CHECK (timed_out IN (0, 1)),
              duration_ms INTEGER,
              started_at INTEGER NOT NULL,
              ended_at INTEGER,
              stdout_tail TEXT NOT NULL DEFAULT '',
              stderr_tail TEXT NOT NULL DEFAULT '',
              executor_pid INTEGER NOT NULL,
              executor_start_time INTEGER NOT NULL,
              error TEXT,
              PRIMARY KEY (machine_id, seq)
            ) STRICT;
            CREATE INDEX journal_running ON journal (state) WHERE state = 'running';
            """;

    /** Migration 2: a machine's network plan (JSON; NULL: no network device). */
    private static final String V2 = """
            ALTER TABLE machines ADD COLUMN network TEXT
            """;

    /** Every migration, in order; index i holds migration i + 1. */
    static final List<String> ALL = List.of(V1, V2);

    private Migrations() {
    }

    /** The newest schema version this code knows. */
    static int latest() {
        return ALL.size();
    }

    /**
     * Brings the database to the latest version, inside the caller's write transaction.
     *
     * @return the version it was at before
     * @throws NewerSchemaException if it was written by a newer pyro
     */
    static int migrate(Connection c, long nowMillis) throws SQLException {
        return migrate(c, nowMillis, ALL);
    }

    /** {@link #migrate(Connection, long)} with another list of migrations (tests of upgrades). */
    static int migrate(Connection c, long nowMillis, List<String> migrations) throws SQLException {
        int latest = migrations.size();
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"
                    + " STRICT");
            int current;
            try (ResultSet r = s.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version")) {
                current = r.getInt(1);
            }
            if (current > latest) {
                throw new NewerSchemaException(current, latest);
            }
            for (int v = current + 1; v <= latest; v++) {
                // Statements are split at ';': migrations contain no ';' inside literals or triggers.
                for (String statement : migrations.get(v - 1).split(";")) {
                    if (!statement.isBlank()) {
                        s.execute(statement);
                    }
                }
                s.execute("INSERT INTO schema_version (version, applied_at) VALUES (" + v + ", " + nowMillis + ")");
            }
            return current;
        }
    }

    /** The database is of a schema this code does not know. */
    static final class NewerSchemaException extends SQLException {
        private static final long serialVersionUID = 1L;
        final int found;
        final int known;

        NewerSchemaException(int found, int known) {
            super("schema version " + found + ", newer than " + known);
            this.found = found;
            this.known = known;
        }
    }
}
