package dev.pyro.internal.engine.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyro.Accel;
import dev.pyro.PyroException;
import dev.pyro.internal.engine.VmSpec;
import dev.pyro.testsupport.GuestImages;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe's verdict must agree with reality: where it says KVM is usable, a KVM VM boots;
 * where it says not (the build machines: nested KVM fails with "failed to set MSR 0x10a"), a
 * KVM boot fails, and the probe says why within its deadline.
 */
class KvmProbeIT {
    @TempDir
    Path tmp;

    @Test
    void verdictWithinDeadlineAndConsistentWithARealKvmBoot() {
        Path kernel = GuestImages.kernel();
        QemuBinary qemu = QemuBinary.locate();
        Duration deadline = Duration.ofSeconds(10);
        KvmProbe.Result result = KvmProbe.probe(qemu, kernel, deadline);
        System.err.println("KVM probe: usable=" + result.usable() + " in " + result.took().toMillis() + " ms: "
                + result.reason());
        assertThat(result.took()).isLessThan(deadline.plusSeconds(6));
        assertThat(result.reason()).isNotBlank().doesNotContain("\n");
        assertThat(result.inputs()).isEqualTo(KvmProbe.Inputs.of(qemu, kernel));
        assertThat(result.usable()).isEqualTo(result.devicePresent() && result.deviceOpens() && result.usable());

        KvmProbe.AccelChoice auto = KvmProbe.choose(null, result);
        VmSpec spec = new VmSpec("kvm", tmp.resolve("kvm"), kernel, GuestImages.rootImage(), Optional.empty(), 1, 256,
                Accel.KVM, true, Duration.ofMinutes(2), Duration.ofSeconds(30));
        if (result.usable()) {
            assertThat(auto.accel()).isEqualTo(Accel.KVM);
            try (QemuVm vm = new QemuEngine(qemu).boot(spec, e -> { })) {
                assertThat(vm.hello().protocolVersion()).isEqualTo(1);
            }
        } else {
            assertThat(auto.accel()).isEqualTo(Accel.TCG);
            assertThat(auto.reason()).contains(result.reason(), "tcg");
            try {
                new QemuEngine(qemu).boot(spec, e -> { }).close();
                throw new AssertionError("the probe said KVM is unusable (" + result.reason() + ") but a KVM VM booted");
            } catch (PyroException e) {
                assertThat(e.kind()).isEqualTo(PyroException.Kind.VM_FAILED);
            }
            try {
                KvmProbe.choose(Accel.KVM, result);
                throw new AssertionError("choose(KVM) must refuse an unusable KVM");
            } catch (PyroException e) {
                assertThat(e.kind()).isEqualTo(PyroException.Kind.HOST_SETUP);
                assertThat(e.getMessage()).contains("--accel tcg");
            }
        }
        assertThat(KvmProbe.choose(Accel.TCG, result).accel()).isEqualTo(Accel.TCG);
    }

    @Test
    void aCrawlingKvmGuestIsCutOffAtTheDeadline() {
        // On the build machines this CPU model gets past QEMU's MSR check, then the guest
        // crawls (host-facts.md: 22 s to memory init) and dies of a KVM internal error: the
        // probe must give up at its deadline. Where KVM works, it simply boots.
        Duration deadline = Duration.ofSeconds(5);
        KvmProbe.Result result = KvmProbe.probe(QemuBinary.locate(), GuestImages.kernel(), deadline,
                "host,-arch-capabilities");
        System.err.println("KVM probe (host,-arch-capabilities): usable=" + result.usable() + " in "
                + result.took().toMillis() + " ms: " + result.reason());
        assertThat(result.took()).isLessThan(deadline.plusSeconds(6));
        assertThat(result.reason()).isNotBlank().doesNotContain("\n");
    }
}
