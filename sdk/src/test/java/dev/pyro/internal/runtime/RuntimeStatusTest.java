package dev.pyro.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.ProgressListener;
import dev.pyro.PyroException;
import dev.pyro.internal.host.AptLists;
import dev.pyro.internal.host.HostTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Status, resolve, the lock and the safety rule, against a cache holding small stand-in files
 * installed exactly as the builders install theirs (the real builds are in the ITs).
 */
class RuntimeStatusTest {
    private static final String ENV = "debian:12-base";

    @TempDir
    Path dir;

    private Path recipesDir;
    private Recipes recipes;
    private RuntimePaths paths;
    private RuntimeBuilder runtime;

    @BeforeEach
    void setUp() {
        recipesDir = TestRecipes.copyWithAgent(dir.resolve("recipes"), "int main(void) { return 0; }\n");
        recipes = Recipes.fromDirectory(recipesDir);
        paths = new RuntimePaths(dir.resolve("cache"), dir.resolve("home"));
        runtime = new RuntimeBuilder(paths, RuntimeSettings.defaults(), recipes,
                HostTools.fromEnvironment(System.getenv(), paths.logsDir(), paths.aptListsStamp()));
    }

    @Test
    void anEmptyCacheIsMissingEverythingAndProvesNothing() {
        RuntimeStatus status = runtime.status(false, ProgressListener.NONE);
        assertThat(status.components()).extracting(ComponentStatus::id).containsExactly("kernel", "agent",
                "rootfs:debian:12", "rootfs:debian:12-base", "rootfs:debian:12-build");
        assertThat(status.components()).allMatch(c -> c.state() == ComponentState.MISSING);
        assertThat(status.capabilities()).containsOnlyKeys(Capability.values()).doesNotContainValue(true);
        assertThatThrownBy(() -> runtime.resolve(ENV, ProgressListener.NONE))
                .isInstanceOfSatisfying(PyroException.class, e -> {
                    assertThat(e.kind()).isEqualTo(PyroException.Kind.RUNTIME_NOT_READY);
                    assertThat(e.getMessage()).isEqualTo("the guest runtime for debian:12-base is not ready:"
                            + " kernel is missing (not built); run: pyro runtime materialize");
                });
        assertThatThrownBy(() -> runtime.resolve("nope", ProgressListener.NONE))
                .hasMessage("unknown environment 'nope'; known environments: debian:12, debian:12-base, debian:12-build");
    }

    @Test
    void installedComponentsResolveAndACapabilityNeedsAProof() throws Exception {
        install("agent-v1");
        RuntimeStatus status = runtime.status(false, ProgressListener.NONE);
        assertThat(status.components()).filteredOn(c -> List.of("kernel", "agent", "rootfs:" + ENV).contains(c.id()))
                .hasSize(3).allMatch(ComponentStatus::ready);
        assertThat(status.environment(ENV).orElseThrow().isInstalled()).isTrue();
        assertThat(status.environment("debian:12").orElseThrow().isInstalled()).isFalse();
        assertThat(status.capabilities()).doesNotContainValue(true);

        ResolvedRuntime resolved = runtime.resolve(ENV, ProgressListener.NONE);
        assertThat(resolved.bzImage()).hasContent("bzImage");
        assertThat(resolved.kernelRelease()).isEqualTo("6.1.192-pyro");
        assertThat(resolved.imageSha256()).isEqualTo(Hashes.sha256(resolved.rootImage()));
        assertThat(resolved.agentSha256()).isEqualTo(Hashes.sha256("agent-v1"));

        Map<Capability, Boolean> flags = runtime.recordCapability(Capability.VM_BOOT, resolved);
        assertThat(flags).containsEntry(Capability.VM_BOOT, true).containsEntry(Capability.GUEST_EXEC, false)
                .containsEntry(Capability.GUEST_NETWORK, false);
        String json = Files.readString(paths.lockFile());
        assertThat(json).contains("\"schema_version\" : 2", "\"platform\" : \"linux-x86_64\"", "\"vm_boot\"",
                "\"guest_network\"", "\"proven\" : true", "\"bzimage_sha256\" : \"" + resolved.kernelSha256() + "\"");
    }

    @Test
    void aCorruptArtifactTurnsTheFlagOffUntilItIsIntactAgain() throws Exception {
        install("agent-v1");
        ResolvedRuntime resolved = runtime.resolve(ENV, ProgressListener.NONE);
        runtime.recordCapability(Capability.GUEST_EXEC, resolved);
        Path image = resolved.rootImage();
        FileTime installed = Files.getLastModifiedTime(image);

        Files.setLastModifiedTime(image, FileTime.fromMillis(installed.toMillis() + 60_000));
        RuntimeStatus touched = runtime.status(false, ProgressListener.NONE);
        assertThat(touched.component("rootfs:" + ENV)).get().extracting(ComponentStatus::state)
                .isEqualTo(ComponentState.CORRUPT);
        assertThat(touched.capabilities()).containsEntry(Capability.GUEST_EXEC, false);
        assertThatThrownBy(() -> runtime.resolve(ENV, ProgressListener.NONE))
                .hasMessageContaining("rootfs:debian:12-base is corrupt")
                .hasMessageEndingWith("; run: pyro runtime materialize");

        Files.setLastModifiedTime(image, installed);
        assertThat(runtime.status(false, ProgressListener.NONE).capabilities()).containsEntry(Capability.GUEST_EXEC, true);

        // Same size and time, different bytes: only the full verification notices.
        byte[] bytes = Files.readAllBytes(image);
        bytes[0] ^= 1;
        image.toFile().setWritable(true);
        Files.write(image, bytes);
        Files.setLastModifiedTime(image, installed);
        assertThat(runtime.status(false, ProgressListener.NONE).capabilities()).containsEntry(Capability.GUEST_EXEC, true);
        RuntimeStatus verified = runtime.status(true, ProgressListener.NONE);
        assertThat(verified.hashesVerified()).isTrue();
        assertThat(verified.component("rootfs:" + ENV)).get().extracting(ComponentStatus::state)
                .isEqualTo(ComponentState.CORRUPT);
        assertThat(verified.capabilities()).containsEntry(Capability.GUEST_EXEC, false);
    }

    @Test
    void aNewAgentWithdrawsTheProofInTheLockFileItself() throws Exception {
        install("agent-v1");
        runtime.recordCapability(Capability.VM_BOOT, runtime.resolve(ENV, ProgressListener.NONE));
        installAgent("agent-v2");
        RuntimeStatus status = runtime.status(false, ProgressListener.NONE);
        assertThat(status.component("agent")).get().extracting(ComponentStatus::state).isEqualTo(ComponentState.READY);
        // The image was built with the old agent: its key no longer matches.
        assertThat(status.component("rootfs:" + ENV)).get().extracting(ComponentStatus::state)
                .isEqualTo(ComponentState.STALE);
        assertThat(status.capabilities()).containsEntry(Capability.VM_BOOT, false);
        RuntimeLock lock = runtime.lockStore().read();
        assertThat(lock.capabilities().get("vm_boot").proven()).isFalse();
        assertThat(lock.capabilities().get("vm_boot").artifacts()).containsEntry("agent", Hashes.sha256("agent-v1"));
    }

    @Test
    void changedRecipesMakeComponentsStale() throws Exception {
        install("agent-v1");
        runtime.recordCapability(Capability.VM_BOOT, runtime.resolve(ENV, ProgressListener.NONE));
        Files.writeString(recipesDir.resolve("agent/main.c"), "int main(void) { return 2; }\n");
        Files.writeString(recipesDir.resolve("kernel/microvm.config"),
                Files.readString(recipesDir.resolve("kernel/microvm.config")) + "CONFIG_PRINTK_TIME=y\n");
        RuntimeStatus status = runtime.status(false, ProgressListener.NONE);
        assertThat(List.of("kernel", "agent", "rootfs:" + ENV)).allSatisfy(id ->
                assertThat(status.component(id).orElseThrow().state()).isEqualTo(ComponentState.STALE));
        assertThat(status.capabilities()).containsEntry(Capability.VM_BOOT, false);
    }

    @Test
    void aPlaceholderOrAMissingComponentNeverCountsAsProven() throws Exception {
        install("agent-v1");
        ResolvedRuntime resolved = runtime.resolve(ENV, ProgressListener.NONE);
        runtime.recordCapability(Capability.VM_BOOT, resolved);
        RuntimeLock lock = runtime.lockStore().update(l -> l.withKernel(placeholder(l.kernel())));
        assertThat(lock.capabilities().get("vm_boot").proven()).isFalse();

        RuntimeLock real = RuntimeLock.empty();
        CapabilityProof proof = new CapabilityProof(true, "2026-01-01T00:00:00Z", ENV,
                Map.of("kernel", "a".repeat(64), "agent", "b".repeat(64)));
        assertThat(real.matches(proof)).isFalse();
        assertThat(RuntimeInspector.flags(real, Map.of("vm_boot", proof), List.of())).doesNotContainValue(true);
    }

    @Test
    void eachEnvironmentIsProvenOnItsOwn() throws Exception {
        install("agent-v1");
        installImage(runtime.lockStore().read().agent() == null ? null : new AgentArtifact(Path.of(runtime.lockStore().read().agent().path()), Json.read(Path.of(runtime.lockStore().read().agent().path()).resolve(AgentInfo.FILE), AgentInfo.class)), "debian:12");
        ResolvedRuntime base = runtime.resolve(ENV, ProgressListener.NONE);
        ResolvedRuntime git = runtime.resolve("debian:12", ProgressListener.NONE);
        runtime.recordCapability(Capability.VM_BOOT, base);
        runtime.recordCapability(Capability.GUEST_EXEC, base);
        assertThat(runtime.proven(base)).isTrue();
        // Same kernel and agent, another image: another environment's proof does not count.
        assertThat(runtime.proven(git)).isFalse();
        RuntimeStatus status = runtime.status(false, ProgressListener.NONE);
        assertThat(status.capabilitiesOf(ENV)).containsEntry(Capability.VM_BOOT, true).containsEntry(Capability.GUEST_EXEC, true);
        assertThat(status.capabilitiesOf("debian:12")).doesNotContainValue(true);
        assertThat(status.capabilities()).containsEntry(Capability.GUEST_EXEC, true);

        runtime.recordCapability(Capability.VM_BOOT, git);
        runtime.recordCapability(Capability.GUEST_EXEC, git);
        assertThat(runtime.proven(git)).isTrue();
        assertThat(runtime.proven(base)).isTrue();
        RuntimeLock lock = runtime.lockStore().read();
        assertThat(lock.proofsOf("debian:12").get("vm_boot").artifacts())
                .containsEntry("rootfs:debian:12", git.imageSha256()).containsEntry("kernel", git.kernelSha256());
        assertThat(lock.environments().get("debian:12").source()).isEqualTo(RuntimeLock.BUILT);
        assertThat(lock.environments().get("debian:12").packages()).containsEntry("bash", "5.2");

        // A new image of debian:12 withdraws its proofs, not debian:12-base's.
        Files.setLastModifiedTime(git.rootImage(), FileTime.fromMillis(1_000));
        assertThat(runtime.proven(base)).isTrue();
        assertThat(runtime.status(false, ProgressListener.NONE).capabilitiesOf("debian:12")).doesNotContainValue(true);
    }

    @Test
    void concurrentLockUpdatesLoseNothing() throws Exception {
        RuntimeLockStore store = runtime.lockStore();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String name = "env-" + i;
            futures.add(pool.submit(() -> store.update(l -> l.withEnvironment(name, new RuntimeLock.Environment(
                    "k", "/p", "1.0.0", "b", "s", 1, "/m", "m", "a", "i", 1, false)))));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        pool.shutdown();
        assertThat(store.read().environments()).hasSize(20);
    }

    @Test
    void anUnreadableLockReadsAsEmpty() throws Exception {
        Files.createDirectories(paths.lockFile().getParent());
        Files.writeString(paths.lockFile(), "{ not json");
        assertThat(runtime.lockStore().read()).isEqualTo(RuntimeLock.empty());
    }

    private static RuntimeLock.Kernel placeholder(RuntimeLock.Kernel k) {
        return new RuntimeLock.Kernel(k.key(), k.path(), k.release(), k.sourcePackage(), k.sourceVersion(),
                k.sourceSha256(), k.fragmentSha256(), k.configSha256(), k.bzimageSha256(), k.vmlinuxSha256(), true,
                k.pinnedVersion(), k.pinnedSha256(), k.sourceChoice());
    }

    @Test
    void aKernelBuiltFromAFallbackForThePinIsFoundWithoutAptAndTheLockSaysWhatWasPinnedAndUsed() throws Exception {
        KernelSource pin = recipes.kernelSource();
        KernelSource newer = pin.withVersion("6.1.999-1", Hashes.sha256("newer .deb"));
        installKernel(newer, pin, "fallback");
        installImage(installAgent("agent-v1"));
        // No apt on this builder's path: finding the fallback must not need it.
        RuntimeBuilder offline = new RuntimeBuilder(paths, RuntimeSettings.defaults(), recipes, new HostTools(
                List.of(Files.createDirectories(dir.resolve("empty-bin"))), false, false, paths.logsDir(),
                AptLists.host(paths.aptListsStamp())));
        RuntimeStatus status = offline.status(false, ProgressListener.NONE);
        assertThat(status.component("kernel")).get().satisfies(k -> {
            assertThat(k.state()).isEqualTo(ComponentState.READY);
            assertThat(k.version()).isEqualTo("6.1.192-pyro (linux-source-6.1 6.1.999-1; the pin " + pin.version()
                    + " is no longer served)");
        });
        assertThat(offline.resolve(ENV, ProgressListener.NONE).bzImage()).hasContent("bzImage");
        RuntimeLock.Kernel locked = offline.lockStore().read().kernel();
        assertThat(locked.sourceVersion()).isEqualTo("6.1.999-1");
        assertThat(locked.sourceSha256()).isEqualTo(Hashes.sha256("newer .deb"));
        assertThat(locked.pinnedVersion()).isEqualTo(pin.version());
        assertThat(locked.pinnedSha256()).isEqualTo(pin.sha256());
        assertThat(locked.sourceChoice()).isEqualTo("fallback");
        assertThat(Files.readString(paths.lockFile())).contains("\"pinned_version\" : \"" + pin.version() + "\"",
                "\"source_choice\" : \"fallback\"");
    }

    /** Installs a kernel, an agent and an image the way the builders lay them out. */
    private void install(String agentBytes) throws Exception {
        installKernel(recipes.kernelSource(), recipes.kernelSource(), "pin");
        AgentArtifact agent = installAgent(agentBytes);
        installImage(agent);
    }

    private void installKernel(KernelSource source, KernelSource pin, String choice) throws Exception {
        KernelFragment fragment = recipes.kernelFragment();
        CacheKey kernelKey = KernelBuilder.key(source, fragment);
        Path kdir = Files.createDirectories(paths.kernelsDir().resolve(kernelKey.id()));
        Files.writeString(kdir.resolve("bzImage"), "bzImage");
        Files.writeString(kdir.resolve("vmlinux"), "vmlinux");
        Files.writeString(kdir.resolve("config"), "CONFIG_64BIT=y\n");
        List<InstalledFile> kfiles = List.of(InstalledFile.record(kdir, "bzImage"),
                InstalledFile.record(kdir, "vmlinux"), InstalledFile.record(kdir, "config"));
        KernelInfo kinfo = new KernelInfo(1, kernelKey.id(), kernelKey.canonical(), "6.1.192-pyro", source,
                fragment.sha256(), kfiles.get(2).sha256(), kfiles, "2026-01-01T00:00:00Z", 1, 1, "gcc", 1, pin, choice);
        Files.write(kdir.resolve(KernelInfo.FILE), Json.bytes(kinfo));
        runtime.lockStore().update(l -> l.withKernel(LockEntries.kernel(new KernelArtifact(kdir, kinfo))));
    }

    private AgentArtifact installAgent(String bytes) throws Exception {
        AgentSources sources = recipes.agentSources();
        CacheKey key = AgentBuilder.key(sources, "gcc-test " + bytes);
        Path adir = Files.createDirectories(paths.agentsDir().resolve(key.id()));
        Files.writeString(adir.resolve("pyro-agent"), bytes);
        AgentInfo info = new AgentInfo(1, key.id(), key.canonical(), sources.sha256(), "gcc-test",
                List.of(InstalledFile.record(adir, "pyro-agent")), "x86-64 static", "2026-01-01T00:00:00Z", 1);
        Files.write(adir.resolve(AgentInfo.FILE), Json.bytes(info));
        AgentArtifact agent = new AgentArtifact(adir, info);
        runtime.lockStore().update(l -> l.withAgent(LockEntries.agent(agent)));
        return agent;
    }

    private void installImage(AgentArtifact agent) throws Exception {
        installImage(agent, ENV);
    }

    private void installImage(AgentArtifact agent, String name) throws Exception {
        EnvironmentRecipe env = recipes.environment(name);
        CacheKey key = RootfsBuilder.key(env, agent.info().binarySha256());
        Path rdir = Files.createDirectories(paths.environmentDir(env.directory()).resolve(key.id()));
        Files.writeString(rdir.resolve("rootfs.ext4"), "image bytes of " + name);
        RootfsManifest manifest = new RootfsManifest(1, name, env.version(), key.id(), key.canonical(),
                BaseTreeBuilder.key(env).id(), "bookworm", "minbase", "http://m", env.base().packages(),
                RootfsBuilder.packagesSha256(env.base().packages()), List.of(new PackageVersion("bash", "5.2", "amd64")),
                agent.info().binarySha256(), 11, 1, "uuid", List.of(InstalledFile.record(rdir, "rootfs.ext4")),
                "2026-01-01T00:00:00Z", 1, List.of());
        Files.write(rdir.resolve(RootfsManifest.FILE), Json.bytes(manifest));
        runtime.lockStore().update(l -> l.withEnvironment(name, LockEntries.environment(new RootfsArtifact(rdir, manifest))));
    }
}
