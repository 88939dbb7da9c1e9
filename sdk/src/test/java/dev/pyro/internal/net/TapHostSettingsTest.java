package dev.pyro.internal.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Host settings the tap back end turns on go back to what they were, and only those (files stand in for sysctls). */
class TapHostSettingsTest {
    @TempDir
    Path dir;

    Path setting(String name, String value) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, value + "\n");
        return p;
    }

    static String value(Path p) throws Exception {
        return Files.readString(p).strip();
    }

    @Test
    void whatPyroTurnedOnIsPutBackWhenItsLastDeviceGoes() throws Exception {
        Path forward = setting("ip_forward", "0");
        Path localnet = setting("route_localnet", "0");
        TapHostSettings s = new TapHostSettings(dir.resolve("state"), "4026531840");
        s.locked(() -> {
            try {
                s.dropStale(true);
                s.turnOn("ip_forward", forward);
                s.turnOn("ip_forward", forward); // a second VM: the original stays recorded
                s.turnOn("lo.route_localnet", localnet);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return null;
        });
        assertThat(value(forward)).isEqualTo("1");
        assertThat(value(localnet)).isEqualTo("1");
        assertThat(s.read()).containsEntry("ip_forward", "0").containsEntry("lo.route_localnet", "0");
        s.restore(Map.of("ip_forward", forward, "lo.route_localnet", localnet));
        assertThat(value(forward)).isEqualTo("0");
        assertThat(value(localnet)).isEqualTo("0");
        assertThat(s.read()).isEmpty();
    }

    @Test
    void aSettingThatWasAlreadyOnIsNeitherRecordedNorTurnedOff() throws Exception {
        Path forward = setting("ip_forward", "1");
        TapHostSettings s = new TapHostSettings(dir.resolve("state"), "1");
        s.turnOn("ip_forward", forward);
        assertThat(s.read()).isEmpty();
        s.restore(Map.of("ip_forward", forward));
        assertThat(value(forward)).isEqualTo("1");
    }

    @Test
    void aSettingSomebodyChangedSinceIsLeftAlone() throws Exception {
        Path forward = setting("ip_forward", "0");
        TapHostSettings s = new TapHostSettings(dir.resolve("state"), "1");
        s.turnOn("ip_forward", forward);
        Files.writeString(forward, "2\n");
        s.restore(Map.of("ip_forward", forward));
        assertThat(value(forward)).isEqualTo("2");
        assertThat(s.read()).isEmpty();
    }

    @Test
    void aRecordWithoutDevicesIsDroppedNotApplied() throws Exception {
        Path forward = setting("ip_forward", "0");
        TapHostSettings s = new TapHostSettings(dir.resolve("state"), "7");
        s.turnOn("ip_forward", forward); // then the namespace went away with its devices
        Files.writeString(forward, "1\n"); // a new namespace with the same inode, forwarding on by its owner
        s.dropStale(false);
        assertThat(s.read()).containsKey("ip_forward");
        s.dropStale(true);
        assertThat(s.read()).isEmpty();
        s.restore(Map.of("ip_forward", forward));
        assertThat(value(forward)).isEqualTo("1");
    }

    @Test
    void eachNamespaceHasItsOwnRecordAndTheLockIsReentrant() throws Exception {
        Path forward = setting("ip_forward", "0");
        TapHostSettings a = new TapHostSettings(dir.resolve("state"), "1");
        TapHostSettings b = new TapHostSettings(dir.resolve("state"), "2");
        a.turnOn("ip_forward", forward);
        assertThat(b.read()).isEmpty();
        assertThat(a.locked(() -> a.locked(() -> "inner"))).isEqualTo("inner");
    }
}
