package dev.pyro.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyro.ProgressEvent;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Builds the real guest kernel from the pinned linux-source .deb (about 8 minutes on 2 cores, once). */
class KernelBuildIT {
    @Test
    void buildsTheGuestKernelFromThePinnedSource() throws Exception {
        RuntimeBuilder runtime = ItRuntime.builder();
        ItRuntime.Recorder first = new ItRuntime.Recorder();
        ItRuntime.Recorder second = new ItRuntime.Recorder();
        long start = System.nanoTime();
        // Two builds at once: one builds, the other waits for the lock and reuses the result.
        CompletableFuture<KernelArtifact> a = CompletableFuture.supplyAsync(() -> runtime.buildKernel(false, first));
        CompletableFuture<KernelArtifact> b = CompletableFuture.supplyAsync(() -> runtime.buildKernel(false, second));
        KernelArtifact kernel = a.get();
        assertThat(b.get().dir()).isEqualTo(kernel.dir());
        System.out.printf("kernel ready after %.1f s in %s%n", (System.nanoTime() - start) / 1e9, kernel.dir());

        KernelInfo info = kernel.info();
        assertThat(kernel.release()).isEqualTo(info.source().version().replaceAll("-.*", "") + "-pyro");
        assertThat(info.source().packageName()).isEqualTo("linux-source-6.1");
        assertThat(info.key()).isEqualTo(kernel.dir().getFileName().toString());
        assertThat(info.buildSteps()).isGreaterThan(500);
        try (RandomAccessFile bz = new RandomAccessFile(kernel.bzImage().toFile(), "r")) {
            byte[] magic = new byte[4];
            bz.seek(0x202);
            bz.readFully(magic);
            assertThat(new String(magic, StandardCharsets.US_ASCII)).isEqualTo("HdrS");
        }
        byte[] elf = new byte[4];
        try (var in = Files.newInputStream(kernel.vmlinux())) {
            assertThat(in.read(elf)).isEqualTo(4);
        }
        assertThat(elf).containsExactly(0x7f, 'E', 'L', 'F');
        String config = Files.readString(kernel.config());
        assertThat(config).contains("CONFIG_LOCALVERSION=\"-pyro\"", "# CONFIG_LOCALVERSION_AUTO is not set");
        assertThat(Recipes.fromClasspath().kernelFragment().verify(DotConfig.parse(config))).isEmpty();
        for (InstalledFile file : info.files()) {
            assertThat(Hashes.sha256(kernel.dir().resolve(file.name()))).isEqualTo(file.sha256());
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(kernel.dir().resolve(file.name()))))
                    .isEqualTo("r--r--r--");
        }
        assertThat(kernel.dir().resolve("build.log")).exists();
        assertThat(runtime.paths().buildDir().toFile().list((d, n) -> n.startsWith("kernel-"))).isNullOrEmpty();

        if (first.saw("compiling") || second.saw("compiling")) {
            List<ProgressEvent> compile = (first.saw("compiling") ? first : second).events.stream()
                    .filter(e -> e.message().startsWith("compiling")).toList();
            assertThat(compile.size()).isGreaterThan(20);
            // Below 100% until make finished, then exactly 100%.
            assertThat(compile.subList(0, compile.size() - 1)).allMatch(e -> e.done() < e.total());
            assertThat(compile.get(compile.size() - 1).fraction()).isEqualTo(1.0);
            assertThat(first.saw("waiting for another build of the kernel") || second.saw("waiting for another build"))
                    .isTrue();
        }

        long again = System.nanoTime();
        assertThat(runtime.buildKernel(false, new ItRuntime.Recorder()).dir()).isEqualTo(kernel.dir());
        assertThat((System.nanoTime() - again) / 1e9).isLessThan(10);
        assertThat(runtime.status(false, e -> { }).component("kernel")).get()
                .extracting(ComponentStatus::state).isEqualTo(ComponentState.READY);
        assertThat(runtime.lockStore().read().kernel().bzimageSha256()).isEqualTo(info.file("bzImage").sha256());
    }
}
