package dev.pyro.internal.state;

import java.util.Optional;

/**
 * The outcome of a compare-and-set update of a machine.
 *
 * @param status what happened
 * @param record UPDATED: the record as now stored; CONFLICT: the record as it is (in a state
 *     the caller did not expect); NOT_FOUND: empty
 */
public record UpdateResult(Status status, Optional<MachineRecord> record) {
    public enum Status {
        UPDATED,
        /** The machine is in a state other than the expected ones; nothing was changed. */
        CONFLICT,
        NOT_FOUND
    }

    public boolean updated() {
        return status == Status.UPDATED;
    }

    /** The stored record after an update. */
    public MachineRecord get() {
        if (status != Status.UPDATED) {
            throw new IllegalStateException("not updated: " + status);
        }
        return record.orElseThrow();
    }

    static UpdateResult updated(MachineRecord r) {
        return new UpdateResult(Status.UPDATED, Optional.of(r));
    }

    static UpdateResult conflict(MachineRecord current) {
        return new UpdateResult(Status.CONFLICT, Optional.of(current));
    }

    static UpdateResult notFound() {
        return new UpdateResult(Status.NOT_FOUND, Optional.empty());
    }
}
