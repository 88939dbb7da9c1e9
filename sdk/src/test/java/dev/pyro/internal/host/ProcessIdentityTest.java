package dev.pyro.internal.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProcessIdentityTest {
    @Test
    void thisProcessIsAliveAndAReusedPidIsNot() {
        ProcessIdentity me = ProcessIdentity.current();
        assertThat(me.pid()).isEqualTo(ProcessHandle.current().pid());
        assertThat(me.isAlive()).isTrue();
        assertThat(me.commandLine().orElseThrow().get(0)).contains("java");
        // The same pid with another start time is another process (pid reuse).
        assertThat(new ProcessIdentity(me.pid(), me.startTime() + 1).isAlive()).isFalse();
        assertThat(new ProcessIdentity(me.pid(), me.startTime() + 1).commandLine()).isEmpty();
        assertThat(new ProcessIdentity(0, 0).isAlive()).isFalse();
        assertThat(ProcessIdentity.of(-5)).isEmpty();
    }

    @Test
    void anExitedChildIsNotAliveEvenAsAZombie() throws Exception {
        Process p = new ProcessBuilder("sleep", "30").start();
        ProcessIdentity child = ProcessIdentity.of(p.pid()).orElseThrow();
        assertThat(child.isAlive()).isTrue();
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        assertThat(child.isAlive()).isFalse();
    }

    @Test
    void parsesCommandNamesWithSpacesAndParentheses() {
        String stat = "1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 55667788 1000 10";
        ProcessIdentity.Stat s = ProcessIdentity.parseStat(stat).orElseThrow();
        assertThat(s.state()).isEqualTo('S');
        assertThat(s.startTime()).isEqualTo(55667788L);
        assertThat(ProcessIdentity.parseStat("garbage")).isEmpty();
        assertThat(ProcessIdentity.parseStat("1 (x) Z 1 2")).isEmpty();
    }
}
