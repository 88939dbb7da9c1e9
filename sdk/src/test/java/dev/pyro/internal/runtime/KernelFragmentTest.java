package dev.pyro.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class KernelFragmentTest {
    private static final String FRAGMENT = String.join("\n",
            "# comment",
            "CONFIG_LOCALVERSION=\"-pyro\"",
            "CONFIG_BLOCK=y",
            "CONFIG_EXT4_FS=y",
            "CONFIG_RANDOMIZE_BASE=n",
            "# CONFIG_MODULES is not set",
            "CONFIG_NR_CPUS=4",
            "");

    @Test
    void parsesValuesInOrder() {
        KernelFragment fragment = KernelFragment.parse(FRAGMENT);
        assertThat(fragment.options()).containsExactly(
                java.util.Map.entry("LOCALVERSION", "\"-pyro\""),
                java.util.Map.entry("BLOCK", "y"),
                java.util.Map.entry("EXT4_FS", "y"),
                java.util.Map.entry("RANDOMIZE_BASE", "n"),
                java.util.Map.entry("MODULES", "n"),
                java.util.Map.entry("NR_CPUS", "4"));
    }

    @Test
    void scriptsConfigArguments() {
        assertThat(KernelFragment.parse(FRAGMENT).scriptsConfigArgs()).containsExactly(
                "--set-str", "LOCALVERSION", "-pyro", "-e", "BLOCK", "-e", "EXT4_FS", "-d", "RANDOMIZE_BASE",
                "-d", "MODULES", "--set-val", "NR_CPUS", "4");
    }

    @Test
    void verifyPassesWhenEverythingStuck() {
        DotConfig config = DotConfig.parse(String.join("\n",
                "CONFIG_LOCALVERSION=\"-pyro\"", "CONFIG_BLOCK=y", "CONFIG_EXT4_FS=y",
                "# CONFIG_RANDOMIZE_BASE is not set", "CONFIG_NR_CPUS=4"));
        assertThat(KernelFragment.parse(FRAGMENT).verify(config)).isEmpty();
    }

    @Test
    void verifyNamesEveryOptionThatDidNotStick() {
        // What allnoconfig + olddefconfig does when BLOCK was forgotten: EXT4 silently drops out.
        DotConfig config = DotConfig.parse(String.join("\n",
                "CONFIG_LOCALVERSION=\"\"", "# CONFIG_BLOCK is not set", "CONFIG_RANDOMIZE_BASE=y",
                "CONFIG_MODULES=y", "CONFIG_NR_CPUS=4"));
        assertThat(KernelFragment.parse(FRAGMENT).verify(config)).containsExactly(
                "CONFIG_LOCALVERSION (wanted \"-pyro\", got \"\")",
                "CONFIG_BLOCK (wanted y, got not set)",
                "CONFIG_EXT4_FS (wanted y, got not set)",
                "CONFIG_RANDOMIZE_BASE (wanted n, got y)",
                "CONFIG_MODULES (wanted n, got y)");
    }

    @Test
    void rejectsModulesConflictsAndGarbage() {
        assertThatThrownBy(() -> KernelFragment.parse("CONFIG_VIRTIO=m\n"))
                .hasMessageContaining("line 1: CONFIG_VIRTIO=m: the guest kernel has no modules");
        assertThatThrownBy(() -> KernelFragment.parse("CONFIG_A=y\nCONFIG_A=n\n"))
                .hasMessageContaining("line 2: CONFIG_A is set twice");
        assertThatThrownBy(() -> KernelFragment.parse("CONFIG_A=y\nBLOCK=y\n"))
                .hasMessageContaining("line 2: not CONFIG_NAME=value");
        assertThatThrownBy(() -> KernelFragment.parse("# nothing\n")).hasMessageContaining("sets no options");
    }

    @Test
    void theRealFragmentVerifiesAgainstItsOwnOptions() {
        KernelFragment real = Recipes.fromClasspath().kernelFragment();
        StringBuilder config = new StringBuilder();
        real.options().forEach((name, value) -> config.append(value.equals("n")
                ? "# CONFIG_" + name + " is not set" : "CONFIG_" + name + "=" + value).append('\n'));
        assertThat(real.verify(DotConfig.parse(config.toString()))).isEmpty();
        assertThat(real.verify(DotConfig.parse(config.toString().replace("CONFIG_BLOCK=y", ""))))
                .isEqualTo(List.of("CONFIG_BLOCK (wanted y, got not set)"));
    }
}
