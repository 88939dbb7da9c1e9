package dev.pyro.internal.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyro.internal.host.ProcessIdentity;
import dev.pyro.internal.state.Reconcile.Action;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ReconcileTest {
    static final ProcessIdentity LIVE = ProcessIdentity.current();
    static final ProcessIdentity DEAD = new ProcessIdentity(LIVE.pid(), LIVE.startTime() + 1);

    static MachineRecord m(MachineState state, ProcessIdentity owner) {
        return MachineRecord.builder("m1", MachineKind.WORKSPACE, "debian:12-base", Instant.EPOCH).state(state)
                .owner(owner).vmm(new ProcessIdentity(4242, 1)).build();
    }

    static Action decide(MachineState state, ProcessIdentity owner, boolean vmmAlive) {
        return Reconcile.decide(m(state, owner), ProcessIdentity::isAlive, vmmAlive).action();
    }

    @Test
    void aLiveOwnerIsLeftAlone() {
        for (MachineState s : new MachineState[] {MachineState.STARTING, MachineState.STOPPING, MachineState.DELETING}) {
            assertThat(decide(s, LIVE, true)).isEqualTo(Action.NONE);
            assertThat(decide(s, LIVE, false)).isEqualTo(Action.NONE);
        }
    }

    @Test
    void aDeadOwnersTransitionIsFinishedOrUndone() {
        assertThat(decide(MachineState.STARTING, DEAD, true)).isEqualTo(Action.KILL_AND_MARK_FAILED);
        assertThat(decide(MachineState.STARTING, DEAD, false)).isEqualTo(Action.KILL_AND_MARK_FAILED);
        assertThat(decide(MachineState.STARTING, null, false)).isEqualTo(Action.KILL_AND_MARK_FAILED);
        assertThat(decide(MachineState.STOPPING, DEAD, true)).isEqualTo(Action.FINISH_STOP);
        assertThat(decide(MachineState.DELETING, DEAD, false)).isEqualTo(Action.FINISH_DELETE);
        assertThat(Reconcile.decide(m(MachineState.STARTING, DEAD), ProcessIdentity::isAlive, false).reason())
                .contains("pyro process " + DEAD.pid(), "start it again");
    }

    @Test
    void aStartedMachineWhoseVmmDiedIsFailedNeverRunning() {
        assertThat(decide(MachineState.STARTED, null, true)).isEqualTo(Action.NONE);
        Reconcile.Decision d = Reconcile.decide(m(MachineState.STARTED, null), ProcessIdentity::isAlive, false);
        assertThat(d.action()).isEqualTo(Action.MARK_FAILED);
        assertThat(d.reason()).contains("pid 4242", "no longer running");
        // Host-compat machines have no VMM.
        MachineRecord host = m(MachineState.STARTED, null).toBuilder().engine("host_compat").vmm(null).build();
        assertThat(Reconcile.decide(host, ProcessIdentity::isAlive, false).action()).isEqualTo(Action.NONE);
    }

    @Test
    void aStoppedMachineWithARunningVmmIsStopped() {
        assertThat(decide(MachineState.STOPPED, null, true)).isEqualTo(Action.FINISH_STOP);
        assertThat(decide(MachineState.FAILED, null, true)).isEqualTo(Action.FINISH_STOP);
        assertThat(decide(MachineState.STOPPED, null, false)).isEqualTo(Action.NONE);
        assertThat(decide(MachineState.CREATED, null, false)).isEqualTo(Action.NONE);
    }
}
