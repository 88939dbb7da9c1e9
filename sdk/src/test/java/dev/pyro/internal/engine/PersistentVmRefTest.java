package dev.pyro.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.Accel;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PersistentVmRefTest {
    static PersistentVmRef ref(Optional<Path> privateDir) {
        Path run = Path.of("/home/u/.local/share/pyro/vms/ab12, cd");
        return new PersistentVmRef("qemu", "ab12cd", "0011aabbccdd", run,
                List.of(run.resolve("agent.sock"), run.resolve("agent.1.sock")), run.resolve("qmp.sock"), privateDir,
                4242, 987654321L, "/usr/bin/qemu-system-x86_64", Accel.TCG, Path.of("/c/vmlinux"),
                Path.of("/c/rootfs.ext4"), run.resolve("disk.ext4"), run.resolve("console.log"), run.resolve("qemu.log"));
    }

    @Test
    void jsonRoundTripKeepsEveryField() {
        for (Optional<Path> privateDir : List.of(Optional.<Path>empty(), Optional.of(Path.of("/tmp/pyro-0/ab12cd")))) {
            PersistentVmRef ref = ref(privateDir);
            String json = ref.toJson();
            assertThat(json).doesNotContain("\n").contains("\"version\":1", "\"pid_start_time\":987654321");
            assertThat(PersistentVmRef.fromJson(json)).isEqualTo(ref);
        }
        assertThat(ref(Optional.empty()).agentPorts()).isEqualTo(2);
        assertThat(ref(Optional.empty()).process().pid()).isEqualTo(4242);
    }

    @Test
    void aNetworkedVmKeepsItsPlanAndHelper() {
        PersistentVmRef plain = ref(Optional.empty());
        dev.pyro.internal.net.NetworkPlan plan = new dev.pyro.internal.net.NetworkPlan(dev.pyro.NetworkPolicy.EGRESS,
                dev.pyro.internal.net.Backend.USER, 7, Optional.empty(), List.of(), List.of(), Optional.empty(), List.of());
        PersistentVmRef networked = new PersistentVmRef(plain.engine(), plain.id(), plain.bootId(), plain.runDir(),
                plain.agentSockets(), plain.controlSocket(), plain.privateSocketDir(), plain.pid(), plain.pidStartTime(),
                plain.vmmBinary(), plain.accel(), plain.kernel(), plain.rootImage(), plain.disk(), plain.consoleLog(),
                plain.vmmLog(), Optional.of(plan), List.of(new dev.pyro.internal.host.ProcessIdentity(99, 1234),
                new dev.pyro.internal.host.ProcessIdentity(100, 1235)));
        assertThat(PersistentVmRef.fromJson(networked.toJson())).isEqualTo(networked);
        assertThat(PersistentVmRef.fromJson(plain.toJson()).network()).isEmpty();
    }

    @Test
    void refusesNewerVersionsAndGarbage() {
        String newer = ref(Optional.empty()).toJson().replace("\"version\":1", "\"version\":2");
        assertThatThrownBy(() -> PersistentVmRef.fromJson(newer)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("version 2");
        assertThatThrownBy(() -> PersistentVmRef.fromJson("{not json")).isInstanceOf(IllegalArgumentException.class);
        String incomplete = ref(Optional.empty()).toJson().replace("\"disk\"", "\"disc\"");
        assertThatThrownBy(() -> PersistentVmRef.fromJson(incomplete)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("disk");
    }
}
