package dev.pyro.internal.state;

import dev.pyro.PyroException;
import dev.pyro.internal.host.ProcessIdentity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * pyro's state: machines (VMs and workspaces), workspace seeds and the command journal, in one
 * SQLite database ({@code PYRO_HOME/state.db}) that any number of pyro processes use at once
 * (docs/state.md).
 *
 * <p>Concurrency: the database is in WAL mode (readers never block the writer or each other);
 * every write is one {@code BEGIN IMMEDIATE} transaction, which takes SQLite's write lock at
 * its start, so a transaction that reads, decides and writes cannot be overtaken by another
 * writer; a process waiting for that lock waits up to the busy timeout (SQLite retries by
 * itself). Nothing holds a connection between operations: each {@link #read} and
 * {@link #write} opens one and closes it, so a long operation (a boot) never holds the
 * database. A writer killed mid-transaction leaves no trace: SQLite rolls the unfinished
 * transaction back.
 *
 * <p>Errors: database problems become a {@link PyroException} ({@code HOST_SETUP}) naming the
 * file and the fix. Callers get {@code false}/empty/{@link UpdateResult} for the expected
 * outcomes (id taken, not found, state changed meanwhile).
 */
public final class StateStore {
    /** The database file name under PYRO_HOME. */
    public static final String FILE_NAME = "state.db";
    /** How much of a command's stdout and stderr the journal keeps (the end). */
    public static final int TAIL_BYTES = 4096;
    /** How long a process waits for another one's write transaction before giving up. */
    public static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(30);

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ThreadLocal<Boolean> IN_TRANSACTION = ThreadLocal.withInitial(() -> false);

    private final Path file;
    private final String url;
    private final SQLiteConfig config;
    private final Clock clock;
    private final Duration busyTimeout;

    /** Work done inside one transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(StateTx tx) throws SQLException;
    }

    private StateStore(Path file, Clock clock, Duration busyTimeout) {
        this.file = file;
        this.url = "jdbc:sqlite:" + file;
        this.clock = clock;
        this.busyTimeout = busyTimeout;
        this.config = new SQLiteConfig();
        config.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, busyTimeout.toMillis()));
        config.enforceForeignKeys(true);
        // FULL: a commit survives a power loss too, not only a crash of the process (which WAL
        // with NORMAL already survives). Commits are small and rare enough for the fsync.
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    }

    /** Opens (creating and migrating it if needed) {@code PYRO_HOME/state.db}. */
    public static StateStore openInHome(Path pyroHome) {
        return open(pyroHome.resolve(FILE_NAME), Clock.systemUTC(), DEFAULT_BUSY_TIMEOUT);
    }

    /**
     * Opens the database at {@code file}, creating it and its directory if needed, switching it
     * to WAL mode and bringing its schema to the latest version.
     *
     * @param clock the time for updatedAt, journal times and expiry (tests pass a fixed one)
     * @throws PyroException {@code HOST_SETUP} if it cannot be opened, is damaged, or was
     *     written by a newer pyro
     */
    public static StateStore open(Path file, Clock clock, Duration busyTimeout) {
        Path abs = file.toAbsolutePath().normalize();
        StateStore store = new StateStore(abs, clock, busyTimeout);
        try {
            Files.createDirectories(abs.getParent());
        } catch (IOException e) {
            throw new PyroException(PyroException.Kind.HOST_SETUP, "cannot create " + abs.getParent()
                    + " for the state database: " + e.getMessage() + "; check PYRO_HOME and its permissions", e);
        }
        store.initialise();
        return store;
    }

    public Path file() {
        return file;
    }

    /** The schema version the database is at. */
    public int schemaVersion() {
        return read(tx -> {
            try (Statement s = tx.connection().createStatement();
                    var r = s.executeQuery("SELECT MAX(version) FROM schema_version")) {
                return r.getInt(1);
            }
        });
    }

    /** A short random id (8 lower-case hex digits) for a new machine; {@link Machines#insert} says if it is taken. */
    public static String newId() {
        byte[] b = new byte[4];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private void initialise() {
        long deadline = System.nanoTime() + busyTimeout.toNanos();
        while (true) {
            try (Connection c = connect()) {
                try (Statement s = c.createStatement()) {
                    // Persistent in the file; changing it needs a moment without other users,
                    // which a concurrent first open may not give: hence the retry loop.
                    s.execute("PRAGMA journal_mode=WAL");
                }
                transaction(c, true, tx -> Migrations.migrate(c, clock.millis()));
                return;
            } catch (Migrations.NewerSchemaException e) {
                throw new PyroException(PyroException.Kind.HOST_SETUP, "the state database " + file
                        + " was written by a newer pyro (schema " + e.found + ", this one knows up to " + e.known
                        + "); upgrade pyro, or point PYRO_HOME elsewhere");
            } catch (SQLException e) {
                if (!isBusy(e) || System.nanoTime() - deadline >= 0) {
                    throw translate(e);
                }
                sleepQuietly(20);
            }
        }
    }

    /**
     * Runs {@code work} in a read transaction: it sees one consistent snapshot and never waits
     * for writers.
     */
    public <T> T read(Work<T> work) {
        return run(false, work);
    }

    /**
     * Runs {@code work} in a write transaction ({@code BEGIN IMMEDIATE}): it commits if
     * {@code work} returns, and rolls back if it throws (the exception is passed on; an
     * SQLException becomes a PyroException). Keep it short: other writers wait meanwhile.
     *
     * @throws IllegalStateException when called inside another transaction of this thread (it
     *     would wait for itself)
     */
    public <T> T write(Work<T> work) {
        return run(true, work);
    }

    private <T> T run(boolean write, Work<T> work) {
        if (IN_TRANSACTION.get()) {
            throw new IllegalStateException("nested state transaction: use the StateTx you were given");
        }
        IN_TRANSACTION.set(true);
        try (Connection c = connect()) {
            return transaction(c, write, tx -> work.run(new StateTx(c, clock.instant(), TAIL_BYTES)));
        } catch (SQLException e) {
            throw translate(e);
        } finally {
            IN_TRANSACTION.set(false);
        }
    }

    private static <T> T transaction(Connection c, boolean write, Work<T> work) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(write ? "BEGIN IMMEDIATE" : "BEGIN");
        }
        boolean done = false;
        try {
            T result = work.run(null);
            try (Statement s = c.createStatement()) {
                s.execute("COMMIT");
            }
            done = true;
            return result;
        } finally {
            if (!done) {
                try (Statement s = c.createStatement()) {
                    s.execute("ROLLBACK");
                } catch (SQLException e) {
                    // the connection is closed next, which rolls back too
                }
            }
        }
    }

    private Connection connect() throws SQLException {
        return config.createConnection(url);
    }

    // ---- one operation, one transaction

    /** @see Machines#insert */
    public boolean insertMachine(MachineRecord m) {
        return write(tx -> tx.machines().insert(m));
    }

    public Optional<MachineRecord> machine(String id) {
        return read(tx -> tx.machines().get(id));
    }

    /** @see Machines#list */
    public List<MachineRecord> machines(Optional<MachineKind> kind) {
        return read(tx -> tx.machines().list(kind));
    }

    /** @see Machines#update */
    public UpdateResult updateMachine(String id, Set<MachineState> expected, UnaryOperator<MachineRecord> change) {
        return write(tx -> tx.machines().update(id, expected, change));
    }

    /** @see Machines#compareAndSet */
    public Optional<MachineRecord> compareAndSet(MachineRecord expected, MachineRecord updated) {
        return write(tx -> tx.machines().compareAndSet(expected, updated));
    }

    /** Deletes a machine with its seed and journal. */
    public boolean deleteMachine(String id) {
        return write(tx -> tx.machines().delete(id));
    }

    /** Machines past their expiry now (by the store's clock). */
    public List<MachineRecord> expiredMachines() {
        return read(tx -> tx.machines().expired(tx.now()));
    }

    /** @see Seeds#put */
    public void putSeed(SeedRecord seed) {
        write(tx -> {
            tx.seeds().put(seed);
            return null;
        });
    }

    public Optional<SeedRecord> seed(String machineId) {
        return read(tx -> tx.seeds().get(machineId));
    }

    /** @see Journal#start */
    public Optional<JournalEntry> startCommand(String machineId, List<String> command, String cwd,
            ProcessIdentity executor) {
        return write(tx -> tx.journal().start(machineId, command, cwd, executor));
    }

    /** @see Journal#finish */
    public Optional<JournalEntry> finishCommand(String machineId, long sequence, JournalOutcome outcome) {
        return write(tx -> tx.journal().finish(machineId, sequence, outcome));
    }

    /** @see Journal#list */
    public List<JournalEntry> commands(String machineId, long afterSequence, int limit) {
        return read(tx -> tx.journal().list(machineId, afterSequence, limit));
    }

    /**
     * Crash recovery for the journal: marks FAILED every running entry whose executor is no
     * longer alive (it was killed before it could record the end).
     *
     * @param alive tells whether a process still runs ({@link ProcessIdentity#isAlive()} in production)
     * @return the entries it marked
     */
    public List<JournalEntry> failAbandonedCommands(Predicate<ProcessIdentity> alive) {
        List<JournalEntry> candidates = read(tx -> tx.journal().running());
        List<JournalEntry> failed = new ArrayList<>();
        for (JournalEntry e : candidates) {
            if (alive.test(e.executor())) {
                continue;
            }
            JournalOutcome outcome = JournalOutcome.failed("the pyro process running it (pid " + e.executor().pid()
                    + ") ended before the command did; its result is unknown", 0, new byte[0], new byte[0]);
            // Compare-and-set: an executor that finishes meanwhile wins.
            write(tx -> tx.journal().finish(e.machineId(), e.sequence(), outcome)).ifPresent(failed::add);
        }
        return failed;
    }

    // ---- errors

    private PyroException translate(SQLException e) {
        if (isBusy(e)) {
            return new PyroException(PyroException.Kind.HOST_SETUP, "the state database " + file
                    + " stayed locked by another pyro process for more than " + busyTimeout.toSeconds()
                    + " s; retry, and look for a stuck process with: fuser " + file, e);
        }
        SQLiteErrorCode code = e instanceof SQLiteException se ? se.getResultCode() : null;
        if (code == SQLiteErrorCode.SQLITE_CORRUPT || code == SQLiteErrorCode.SQLITE_NOTADB) {
            return new PyroException(PyroException.Kind.HOST_SETUP, "the state database " + file
                    + " is damaged (" + code + "); move it away to start afresh (records of existing VMs are lost)", e);
        }
        if (code == SQLiteErrorCode.SQLITE_READONLY || code == SQLiteErrorCode.SQLITE_CANTOPEN
                || code == SQLiteErrorCode.SQLITE_PERM || code == SQLiteErrorCode.SQLITE_FULL
                || code == SQLiteErrorCode.SQLITE_IOERR) {
            return new PyroException(PyroException.Kind.HOST_SETUP, "cannot use the state database " + file + " ("
                    + oneLine(e.getMessage()) + "); check the permissions and free space of " + file.getParent(), e);
        }
        return new PyroException(PyroException.Kind.INTERNAL, "state database " + file + ": " + oneLine(e.getMessage()),
                e);
    }

    private static boolean isBusy(SQLException e) {
        if (e instanceof SQLiteException se) {
            SQLiteErrorCode code = se.getResultCode();
            return code == SQLiteErrorCode.SQLITE_BUSY || code == SQLiteErrorCode.SQLITE_LOCKED
                    || code.name().startsWith("SQLITE_BUSY_") || code.name().startsWith("SQLITE_LOCKED_");
        }
        return false;
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ').strip();
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PyroException(PyroException.Kind.CANCELLED, "interrupted while opening the state database");
        }
    }
}
