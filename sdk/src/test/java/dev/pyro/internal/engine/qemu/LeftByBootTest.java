package dev.pyro.internal.engine.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which processes crash recovery may kill for an interrupted boot: only that VM's own. */
class LeftByBootTest {
    static final Path RUN = Path.of("/home/u/.local/share/pyro/vms/ab12");

    static List<String> qemu(String name, Path runDir) {
        return List.of("/usr/bin/qemu-system-x86_64", "-name", name, "-M", "microvm",
                "-chardev", "file,id=console,path=" + runDir.resolve("console.log"), "-serial", "chardev:console");
    }

    @Test
    void theVmsQemuAlsoStillBehindSetsid() {
        assertThat(PersistentQemuVms.isLeftByBoot(qemu("pyro-ab12", RUN), "ab12", RUN)).isTrue();
        List<String> viaSetsid = new java.util.ArrayList<>(List.of("/usr/bin/setsid"));
        viaSetsid.addAll(qemu("pyro-ab12", RUN));
        assertThat(PersistentQemuVms.isLeftByBoot(viaSetsid, "ab12", RUN)).isTrue();
    }

    @Test
    void anotherVmsQemuOrAQemuOfAnotherHomeIsNot() {
        assertThat(PersistentQemuVms.isLeftByBoot(qemu("pyro-cd34", RUN.resolveSibling("cd34")), "ab12", RUN)).isFalse();
        Path elsewhere = Path.of("/tmp/other-home/vms/ab12");
        assertThat(PersistentQemuVms.isLeftByBoot(qemu("pyro-ab12", elsewhere), "ab12", RUN)).isFalse();
    }

    @Test
    void itsPasstAndFrameRelay() {
        List<String> passt = List.of("/usr/bin/passt", "--foreground", "--one-off", "--log-file",
                RUN.resolve("passt.log").toString(), "--socket", RUN.resolve("passt.sock").toString());
        assertThat(PersistentQemuVms.isLeftByBoot(passt, "ab12", RUN)).isTrue();
        assertThat(PersistentQemuVms.isLeftByBoot(passt, "ab12", RUN.resolveSibling("cd34"))).isFalse();
        List<String> relay = List.of("/usr/lib/jvm/java-17/bin/java", "-Xmx24m", "-Dpyro.netrelay=ab12", "-cp", "x",
                "dev.pyro.internal.net.FrameRelayMain");
        assertThat(PersistentQemuVms.isLeftByBoot(relay, "ab12", RUN)).isTrue();
        assertThat(PersistentQemuVms.isLeftByBoot(relay, "ab1", RUN)).isFalse();
    }

    @Test
    void nothingElseThatMentionsTheRunDirectory() {
        assertThat(PersistentQemuVms.isLeftByBoot(List.of("tail", "-f", RUN.resolve("console.log").toString()),
                "ab12", RUN)).isFalse();
        assertThat(PersistentQemuVms.isLeftByBoot(List.of("/usr/bin/setsid"), "ab12", RUN)).isFalse();
        assertThat(PersistentQemuVms.isLeftByBoot(List.of(), "ab12", RUN)).isFalse();
        // whatever a process shows as argv[0] (an exiting one, or one that rewrote it)
        for (String odd : List.of("/", "", "//", "a/")) {
            assertThat(PersistentQemuVms.isLeftByBoot(List.of(odd, "x"), "ab12", RUN)).isFalse();
            assertThat(PersistentQemuVms.isLeftByBoot(List.of("/usr/bin/setsid", odd), "ab12", RUN)).isFalse();
        }
        assertThat(dev.pyro.internal.host.ProcessIdentity.programName("/usr/bin/qemu-system-x86_64")).isEqualTo("qemu-system-x86_64");
        assertThat(dev.pyro.internal.host.ProcessIdentity.programName("passt")).isEqualTo("passt");
    }
}
