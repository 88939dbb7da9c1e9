package dev.pyro.internal.state;

import dev.pyro.internal.host.ProcessIdentity;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Crash recovery rules (docs/state.md, "Crash recovery"): what a process should do about a
 * machine record, given whether the processes it names still run. Pure: the caller observes
 * (owner alive? VMM alive, checked by the engine against pid, start time and command line?),
 * acts (kill, stop, delete files) and then writes the new state with a compare-and-set on the
 * state it decided from, so two processes reconciling the same machine do it once.
 */
public final class Reconcile {
    private Reconcile() {
    }

    /** What to do. */
    public enum Action {
        /** Consistent, or a live process is working on it: leave it alone. */
        NONE,
        /** It should run but its VMM is gone: record FAILED with the reason (the VMM's fate). */
        MARK_FAILED,
        /**
         * A start was interrupted (its process died): kill the VMM if one was spawned (the
         * engine's spawn record finds it even when the record has no ref yet), then FAILED.
         */
        KILL_AND_MARK_FAILED,
        /** A stop was interrupted, or a stopped machine's VMM still runs: stop it, then STOPPED. */
        FINISH_STOP,
        /** A delete was interrupted: kill the VMM if it runs, remove its files, delete the record. */
        FINISH_DELETE
    }

    /** The action and a one-line reason for last_error and logs. */
    public record Decision(Action action, String reason) {
        public Decision {
            Objects.requireNonNull(action, "action");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * @param m the record as read
     * @param processAlive whether a process (the owner) still runs; {@link ProcessIdentity#isAlive()}
     * @param vmmAlive whether the machine's VMM runs (false for host-compat machines, which have none)
     */
    public static Decision decide(MachineRecord m, Predicate<ProcessIdentity> processAlive, boolean vmmAlive) {
        MachineState s = m.state();
        if (s.inTransition()) {
            if (m.owner().isPresent() && processAlive.test(m.owner().get())) {
                return new Decision(Action.NONE, s.wireName() + " by pyro process " + m.owner().get().pid());
            }
            String who = m.owner().map(o -> "pyro process " + o.pid()).orElse("a pyro process");
            switch (s) {
                case STARTING:
                    return new Decision(Action.KILL_AND_MARK_FAILED, "the start was interrupted: " + who
                            + " ended before the VM was up; start it again");
                case STOPPING:
                    return new Decision(Action.FINISH_STOP, "the stop was interrupted: " + who + " ended first");
                case DELETING:
                    return new Decision(Action.FINISH_DELETE, "the delete was interrupted: " + who + " ended first");
                default:
                    throw new AssertionError(s);
            }
        }
        if (s == MachineState.STARTED && !m.engine().equals("host_compat") && !vmmAlive) {
            String pid = m.vmm().map(v -> " (pid " + v.pid() + ")").orElse("");
            return new Decision(Action.MARK_FAILED, "its VMM" + pid + " is no longer running");
        }
        if ((s == MachineState.STOPPED || s == MachineState.FAILED || s == MachineState.CREATED) && vmmAlive) {
            return new Decision(Action.FINISH_STOP, "its VMM still runs although it is " + s.wireName());
        }
        return new Decision(Action.NONE, "consistent");
    }
}
