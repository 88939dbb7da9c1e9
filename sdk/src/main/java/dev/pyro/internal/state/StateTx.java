package dev.pyro.internal.state;

import java.sql.Connection;
import java.time.Instant;

/**
 * One transaction of the state store: the tables, all bound to the same database connection
 * and the same "now". Only valid inside the {@link StateStore#read} or {@link StateStore#write}
 * call that handed it out.
 */
public final class StateTx {
    private final Machines machines;
    private final Seeds seeds;
    private final Journal journal;
    private final Instant now;
    private final Connection connection;

    StateTx(Connection c, Instant now, int tailBytes) {
        this.connection = c;
        this.now = now;
        this.machines = new Machines(c, now);
        this.seeds = new Seeds(c);
        this.journal = new Journal(c, machines, now, tailBytes);
    }

    public Machines machines() {
        return machines;
    }

    public Seeds seeds() {
        return seeds;
    }

    public Journal journal() {
        return journal;
    }

    Connection connection() {
        return connection;
    }

    /** The time of this transaction (from the store's clock); what updatedAt and journal times get. */
    public Instant now() {
        return now;
    }
}
