package dev.pyro.internal.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyro.internal.host.ProcessIdentity;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TapLeftoversTest {
    static final String NS = ProcessIdentity.pidNamespace().orElseThrow();

    @Test
    void theOwnerAliasNamesThisProcessAndReadsBack() {
        String alias = TapLeftovers.ownerAlias().orElseThrow();
        assertThat(alias).matches("pyro owner=\\d+/\\d+ pidns=pid:\\[\\d+\\]").hasSizeLessThan(256);
        TapLeftovers.Owner owner = TapLeftovers.Owner.parse(alias + "\n").orElseThrow(); // sysfs adds a newline
        assertThat(owner.process()).isEqualTo(ProcessIdentity.current());
        assertThat(owner.pidNamespace()).isEqualTo(NS);
        assertThat(TapLeftovers.ownerGone(alias, NS)).as("this process is alive").isFalse();
    }

    @Test
    void anOwnerIsGoneWhenItsPidIsFreeOrWasReused() throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();
        ProcessIdentity exited = ProcessIdentity.of(p.pid()).orElseThrow();
        String whileAlive = new TapLeftovers.Owner(exited, NS).alias();
        assertThat(TapLeftovers.ownerGone(whileAlive, NS)).isFalse();
        p.destroyForcibly().waitFor();
        String alias = new TapLeftovers.Owner(exited, NS).alias();
        assertThat(TapLeftovers.ownerGone(alias, NS)).isTrue();
        // same pid as this JVM, another start time: a reused pid does not keep a device
        ProcessIdentity me = ProcessIdentity.current();
        String reused = new TapLeftovers.Owner(new ProcessIdentity(me.pid(), me.startTime() + 1), NS).alias();
        assertThat(TapLeftovers.ownerGone(reused, NS)).isTrue();
    }

    @Test
    void devicesOfOtherPidNamespacesOrWithoutOurAliasAreNeverJudged() {
        String foreign = new TapLeftovers.Owner(new ProcessIdentity(999_999_999L, 1), "pid:[1]").alias();
        assertThat(TapLeftovers.ownerGone(foreign, NS)).isFalse();
        for (String alias : List.of("", "\n", "some admin's note", "pyro owner=x/1 pidns=" + NS,
                "pyro owner=1/2", "pyro owner=99999999999999999999/1 pidns=" + NS)) {
            assertThat(TapLeftovers.ownerGone(alias, NS)).as(alias).isFalse();
        }
    }

    @Test
    void aDeviceIsInUseWhenACommandLineNamesItAsIfname() {
        List<String> qemu = List.of("qemu-system-x86_64", "-name", "pyro-ab12cd34", "-netdev",
                "tap,id=net0,ifname=ptab12cd34,script=no,downscript=no");
        assertThat(TapLeftovers.usesDevice(qemu, "ptab12cd34")).isTrue();
        assertThat(TapLeftovers.usesDevice(qemu, "ptab12cd3")).as("a prefix is another device").isFalse();
        assertThat(TapLeftovers.usesDevice(List.of("tap,ifname=ptab12cd34"), "ptab12cd34")).isTrue();
        assertThat(TapLeftovers.usesDevice(List.of("grep", "ptab12cd34"), "ptab12cd34")).isFalse();
        assertThat(TapLeftovers.usesDevice(List.of(), "ptab12cd34")).isFalse();
    }

    @Test
    void aPyroTableWithoutItsDeviceIsLeftOver() {
        String tables = "table inet filter\ntable ip pyro_ptaa11\ntable ip pyro_ptbb22\ntable ip6 pyro_ptcc33\n"
                + "table ip pyro_other\n";
        assertThat(TapLeftovers.tablesWithoutDevice(tables, Set.of("ptaa11", "eth0")::contains)).containsExactly("ptbb22");
        assertThat(TapLeftovers.tablesWithoutDevice("", d -> false)).isEmpty();
    }
}
