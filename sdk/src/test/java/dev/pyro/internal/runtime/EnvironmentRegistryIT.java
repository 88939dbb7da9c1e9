package dev.pyro.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pyro.EnvironmentDetails;
import dev.pyro.EnvironmentInfo;
import dev.pyro.ProgressEvent;
import dev.pyro.ProgressListener;
import dev.pyro.PruneResult;
import dev.pyro.PullResult;
import dev.pyro.Pyro;
import dev.pyro.PyroException;
import dev.pyro.RunRequest;
import dev.pyro.RunResult;
import dev.pyro.internal.host.HostTools;
import dev.pyro.internal.oci.BlobUpload;
import dev.pyro.internal.oci.Descriptor;
import dev.pyro.internal.oci.Digests;
import dev.pyro.internal.oci.ImageReference;
import dev.pyro.internal.oci.Manifest;
import dev.pyro.internal.oci.MediaTypes;
import dev.pyro.internal.oci.OciJson;
import dev.pyro.internal.oci.OciSettings;
import dev.pyro.internal.oci.RegistryClient;
import dev.pyro.testsupport.LocalRegistry;
import dev.pyro.testsupport.ThrottledRelay;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Environments through a real OCI registry (Debian's docker-registry on loopback), with the real
 * debian:12-base and debian:12 images: publish, pull into empty caches, boot and run a command
 * in the pulled environment (with the kernel that came with it), pull by digest, reject a
 * corrupted blob, survive a pull killed midway, name a registry that is down or a tag that does
 * not exist, prune a broken entry, log in with basic auth, and refuse a full disk.
 */
class EnvironmentRegistryIT {
    static final String BASE = "debian:12-base";
    static final String GIT = "debian:12";

    @TempDir
    static Path shared;

    static LocalRegistry registry;
    static RuntimeBuilder publisher;
    static String baseDigest;
    static String gitDigest;

    @TempDir
    Path dir;

    @BeforeAll
    static void publish() {
        registry = LocalRegistry.start();
        publisher = SeededCache.seed(shared.resolve("publisher"), settings(Map.of()), BASE, GIT);
        ItRuntime.Recorder progress = new ItRuntime.Recorder();
        PublishOutcome base = publisher.publish(BASE, registry.address() + "/pyro/debian:12-base", progress);
        baseDigest = base.digest();
        gitDigest = publisher.publish(GIT, registry.address() + "/pyro/debian:12", progress).digest();
        assertThat(base.layers()).extracting(PublishOutcome.Layer::title)
                .containsExactly("config", "manifest.json", "bzImage", "vmlinux", "rootfs.ext4");
        assertThat(base.layers()).extracting(PublishOutcome.Layer::mediaType).containsExactly(
                MediaTypes.PYRO_CONFIG, MediaTypes.PYRO_BUILD_MANIFEST, MediaTypes.PYRO_BZIMAGE,
                MediaTypes.PYRO_VMLINUX + "+zstd", MediaTypes.PYRO_ROOTFS + "+zstd");
        assertThat(progress.events).anyMatch(e -> e.task().equals("publish") && e.message().startsWith("uploading rootfs.ext4"));
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    static OciSettings settings(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(extra);
        env.putIfAbsent(OciSettings.REQUEST_TIMEOUT, "20");
        return OciSettings.fromEnvironment(env, Path.of("/nonexistent-home"));
    }

    /** A runtime on an empty cache that pulls from the test registry. */
    RuntimeBuilder consumer(Path cache, Map<String, String> extra) {
        RuntimePaths paths = new RuntimePaths(cache, cache.resolve("home"));
        Map<String, String> env = new HashMap<>(Map.of(OciSettings.REGISTRY, registry.address() + "/pyro"));
        env.putAll(extra);
        return new RuntimeBuilder(paths, RuntimeSettings.defaults(), Recipes.fromClasspath(),
                HostTools.fromEnvironment(System.getenv(), paths.logsDir(), paths.aptListsStamp()), settings(env));
    }

    Pyro pyro(Path cache, List<ProgressEvent> events) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put(OciSettings.REGISTRY, registry.address() + "/pyro");
        return Pyro.builder().cacheDir(cache).home(cache.resolve("home")).environment(env)
                .progress(events::add).build();
    }

    @Test
    void publishThenPullIntoAnEmptyCacheThenBootTheKernelThatCameWithIt() throws Exception {
        Path cache = dir.resolve("cache");
        List<ProgressEvent> events = new CopyOnWriteArrayList<>();
        try (Pyro pyro = pyro(cache, events)) {
            PullResult pulled = pyro.pullEnvironment(BASE);
            assertThat(pulled.digest()).isEqualTo(baseDigest);
            assertThat(pulled.reference()).isEqualTo(registry.address() + "/pyro/debian:12-base");
            assertThat(pulled.upToDate()).isFalse();
            assertThat(pulled.downloadedBytes()).isEqualTo(pulled.totalBytes()).isGreaterThan(10 << 20);
            EnvironmentInfo info = pulled.environment();
            assertThat(info.installed()).isTrue();
            assertThat(info.source()).contains(EnvironmentInfo.Source.PULLED);
            assertThat(info.digest()).contains(baseDigest);
            assertThat(info.sizeBytes()).isGreaterThan(100L << 20);
            assertThat(events).anyMatch(e -> e.task().equals("pull") && e.message().startsWith("downloading rootfs.ext4"));

            // Nothing was built here: the pulled environment boots its own kernel.
            assertThat(pyro.runtimeStatus(false).components()).filteredOn(c -> c.name().equals("kernel"))
                    .allMatch(c -> c.state() == dev.pyro.RuntimeStatus.State.MISSING);
            RunResult r = pyro.run(RunRequest.builder(BASE, "sh", "-c", "uname -r; cat /etc/pyro/environment.json").build());
            assertThat(r.exitCode()).as(r.stderrText()).isZero();
            assertThat(r.stdoutText()).startsWith("6.1.192-pyro\n").contains("\"name\" : \"debian:12-base\"");

            // The proof names exactly the pulled artifacts, for this environment only.
            List<EnvironmentInfo> envs = pyro.environments();
            EnvironmentInfo base = envs.stream().filter(e -> e.name().equals(BASE)).findFirst().orElseThrow();
            assertThat(base.capabilities().vmBoot()).isTrue();
            assertThat(base.capabilities().guestExec()).isTrue();
            assertThat(envs).filteredOn(e -> !e.name().equals(BASE)).allSatisfy(e -> {
                assertThat(e.installed()).isFalse();
                assertThat(e.capabilities().vmBoot()).isFalse();
            });
            assertThat(envs).filteredOn(EnvironmentInfo::isDefault).extracting(EnvironmentInfo::name).containsExactly(GIT);

            EnvironmentDetails details = pyro.inspectEnvironment(BASE);
            assertThat(details.packages()).anyMatch(p -> p.name().equals("procps") && !p.version().isEmpty());
            assertThat(details.kernel()).get().extracting(EnvironmentDetails.Kernel::release).isEqualTo("6.1.192-pyro");
            assertThat(details.artifacts()).extracting(EnvironmentDetails.Artifact::name)
                    .contains("bzImage", "vmlinux", "rootfs.ext4", "manifest.json", "config.json", "oci-manifest.json");
            assertThat(details.artifacts()).filteredOn(a -> a.name().equals("rootfs.ext4"))
                    .allSatisfy(a -> assertThat(a.mediaType()).contains(MediaTypes.PYRO_ROOTFS + "+zstd"));
            assertThat(details.aptSources()).anyMatch(s -> s.contains("bookworm-security"));

            String lock = Files.readString(new RuntimePaths(cache, cache).lockFile());
            assertThat(lock).contains("\"source\" : \"pulled\"", "\"digest\" : \"" + baseDigest + "\"", "\"procps\" : \"",
                    "\"environment_capabilities\"");

            // Pulling again finds it installed and intact.
            PullResult again = pyro.pullEnvironment(BASE + "@" + baseDigest);
            assertThat(again.upToDate()).isTrue();
            assertThat(again.downloadedBytes()).isZero();
        }
    }

    @Test
    void theFirstRunPullsAMissingEnvironmentWhenARegistryIsSet() {
        List<ProgressEvent> events = new CopyOnWriteArrayList<>();
        try (Pyro pyro = pyro(dir.resolve("cache"), events)) {
            RunResult r = pyro.run(RunRequest.builder(GIT, "git", "--version").build());
            assertThat(r.exitCode()).as(r.stderrText()).isZero();
            assertThat(r.stdoutText()).startsWith("git version 2.39");
            assertThat(events).anyMatch(e -> e.task().equals("pull") && e.message().startsWith("first use: pulling debian:12"));
            assertThat(events).noneMatch(e -> e.task().startsWith("rootfs") || e.task().equals("kernel"));
            assertThat(pyro.environments()).filteredOn(e -> e.name().equals(GIT))
                    .allSatisfy(e -> assertThat(e.digest()).contains(gitDigest));
        }
    }

    @Test
    void pullByDigestAndAnUnknownDigest() {
        RuntimeBuilder runtime = consumer(dir.resolve("cache"), Map.of());
        PullOutcome pinned = runtime.pull(BASE + "@" + baseDigest, ProgressListener.NONE);
        assertThat(pinned.digest()).isEqualTo(baseDigest);
        assertThat(pinned.reference()).endsWith("@" + baseDigest);
        PullOutcome full = consumer(dir.resolve("other"), Map.of(OciSettings.REGISTRY, ""))
                .pull(registry.address() + "/pyro/debian:12-base@" + baseDigest, ProgressListener.NONE);
        assertThat(full.installed().digest()).isEqualTo(baseDigest);

        String unknown = "sha256:" + "0".repeat(64);
        assertThatThrownBy(() -> runtime.pull(BASE + "@" + unknown, ProgressListener.NONE))
                .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.NOT_FOUND))
                .hasMessageStartingWith("the registry " + registry.address() + " has no digest " + unknown + " in pyro/debian");
    }

    @Test
    void aCorruptedBlobIsRejectedAndNothingIsInstalled() throws Exception {
        RuntimeBuilder runtime = consumer(dir.resolve("cache"), Map.of());
        Manifest manifest = manifest(baseDigest);
        Descriptor rootfs = manifest.layers().stream().filter(l -> l.mediaType().startsWith(MediaTypes.PYRO_ROOTFS))
                .findFirst().orElseThrow();
        Path stored = registry.blobFile(rootfs.digest());
        byte[] original = Files.readAllBytes(stored);
        byte[] corrupt = original.clone();
        corrupt[corrupt.length / 2] ^= 0x40;
        Files.write(stored, corrupt);
        try {
            assertThatThrownBy(() -> runtime.pull(BASE, ProgressListener.NONE))
                    .isInstanceOfSatisfying(PyroException.class, e ->
                            assertThat(e.kind()).isEqualTo(PyroException.Kind.RUNTIME_NOT_READY))
                    .hasMessageContaining("digest mismatch")
                    .hasMessageContaining("nothing was installed");
        } finally {
            Files.write(stored, original);
        }
        assertNothingInstalled(runtime, BASE);
        assertThat(runtime.paths().ociBlobsDir().resolve(Digests.hex(rootfs.digest()))).doesNotExist();
        assertThat(runtime.paths().ociBlobsDir().resolve(Digests.hex(rootfs.digest()) + ".partial")).doesNotExist();
        // With the registry's copy intact again, the same cache pulls fine.
        assertThat(runtime.pull(BASE, ProgressListener.NONE).installed().digest()).isEqualTo(baseDigest);
    }

    @Test
    void aPullKilledMidwayLeavesNothingInstalledAndTheNextPullResumes() throws Exception {
        Path cache = dir.resolve("cache");
        Manifest manifest = manifest(baseDigest);
        Descriptor rootfs = manifest.layers().stream().filter(l -> l.mediaType().startsWith(MediaTypes.PYRO_ROOTFS))
                .findFirst().orElseThrow();
        long total = manifest.layers().stream().mapToLong(Descriptor::size).sum();
        Path partial = new RuntimePaths(cache, cache).ociBlobsDir().resolve(Digests.hex(rootfs.digest()) + ".partial");
        List<String> output = new CopyOnWriteArrayList<>();
        try (ThrottledRelay slow = new ThrottledRelay(registry.port(), 4L << 20)) {
            Process child = new ProcessBuilder(javaBin(), "-cp", System.getProperty("java.class.path"),
                    PullMain.class.getName(), cache.toString(), slow.address() + "/pyro/debian:12-base")
                    .redirectErrorStream(true).start();
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        output.add(line);
                    }
                } catch (java.io.IOException ignored) {
                    // The child was killed.
                }
            });
            reader.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!(Files.exists(partial) && Files.size(partial) > (2 << 20)) && System.nanoTime() < deadline
                    && child.isAlive()) {
                Thread.sleep(20);
            }
            assertThat(child.isAlive()).as("the pull must still run: %s", output).isTrue();
            child.destroyForcibly(); // SIGKILL: no shutdown hooks, no clean-up
            assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
            reader.join(5000);
        }
        assertThat(output).anyMatch(l -> l.startsWith("[pull] downloading rootfs.ext4"));
        assertThat(output).doesNotContain("done");
        long left = Files.size(partial);
        assertThat(left).isGreaterThan(2 << 20).isLessThan(rootfs.size());

        RuntimeBuilder runtime = consumer(cache, Map.of());
        assertNothingInstalled(runtime, BASE);

        PullOutcome resumed = runtime.pull(BASE, ProgressListener.NONE);
        assertThat(resumed.installed().digest()).isEqualTo(baseDigest);
        // Only what was missing came over the wire: the rest of the image layer (the layers
        // before it had completed and were kept as verified blobs).
        assertThat(resumed.downloadedBytes()).isEqualTo(rootfs.size() - left).isLessThan(total);
        assertThat(runtime.environmentStates()).filteredOn(s -> s.name().equals(BASE))
                .allMatch(EnvironmentState::isInstalled);
        try (Stream<Path> pulled = Files.list(runtime.paths().pulledDir("debian-12-base"))) {
            assertThat(pulled.map(p -> p.getFileName().toString())).containsExactly(baseDigest.substring(7, 23));
        }
        assertThat(partial).doesNotExist();
    }

    @Test
    void registryDownUnknownTagUnknownEnvironmentAndNoRegistryGiveClearErrors() throws Exception {
        RuntimeBuilder runtime = consumer(dir.resolve("cache"), Map.of());
        assertThatThrownBy(() -> runtime.pull(registry.address() + "/pyro/debian:nope", ProgressListener.NONE))
                .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.NOT_FOUND))
                .hasMessage("the registry " + registry.address() + " has no tag 'nope' in pyro/debian (MANIFEST_UNKNOWN:"
                        + " manifest unknown); check the name and tag, or publish it with: pyro env publish ENV --to "
                        + registry.address() + "/pyro/debian:nope");
        assertThatThrownBy(() -> runtime.pull("debian:13", ProgressListener.NONE))
                .hasMessage("unknown environment 'debian:13'; known environments: debian:12, debian:12-base, debian:12-build");
        assertThatThrownBy(() -> runtime.pull("debian:12-build", ProgressListener.NONE))
                .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.NOT_FOUND))
                .hasMessageContaining("has no tag '12-build' in pyro/debian");
        assertThatThrownBy(() -> consumer(dir.resolve("c2"), Map.of(OciSettings.REGISTRY, "")).pull(GIT, ProgressListener.NONE))
                .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.INVALID_ARGUMENT))
                .hasMessage("no registry to pull debian:12 from; set PYRO_REGISTRY to a registry and repository prefix"
                        + " (e.g. registry.example:5000/pyro) or pull a full reference: pyro env pull REGISTRY/REPOSITORY:TAG");
        assertThatThrownBy(() -> runtime.pull("registry.example/Pyro:x", ProgressListener.NONE))
                .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.INVALID_ARGUMENT))
                .hasMessageContaining("is not a valid OCI reference");
        try (LocalRegistry down = LocalRegistry.start()) {
            down.stop();
            RuntimeBuilder toDown = consumer(dir.resolve("c3"), Map.of(OciSettings.REGISTRY, down.address() + "/pyro"));
            assertThatThrownBy(() -> toDown.pull(BASE, ProgressListener.NONE))
                    .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.HOST_SETUP))
                    .hasMessage("cannot reach the registry " + down.address() + " (connection refused); check that the"
                            + " registry runs and the address in PYRO_REGISTRY or the reference is right");
            assertNothingInstalled(toDown, BASE);
        }
        assertNothingInstalled(runtime, BASE);
    }

    @Test
    void aContainerImageIsNotAPyroEnvironment() throws Exception {
        ImageReference ref = ImageReference.parse(registry.address() + "/pyro/container:1");
        RegistryClient client = new RegistryClient(ref, settings(Map.of()));
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        String configDigest = Digests.sha256(Hashes.sha256(config));
        client.upload(ref, configDigest, config.length, BlobUpload.Source.of(config), n -> { });
        Manifest image = new Manifest(2, MediaTypes.OCI_MANIFEST, null,
                Descriptor.of("application/vnd.oci.image.config.v1+json", configDigest, config.length, null), List.of(), null);
        client.putManifest(ref, "1", MediaTypes.OCI_MANIFEST, OciJson.bytes(image));
        RuntimeBuilder runtime = consumer(dir.resolve("cache"), Map.of());
        assertThatThrownBy(() -> runtime.pull(ref.toString(), ProgressListener.NONE))
                .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.INVALID_ARGUMENT))
                .hasMessage(ref + " is not a pyro environment: its config is application/vnd.oci.image.config.v1+json"
                        + " (a container image?); pull a reference published with: pyro env publish ENV --to"
                        + " REGISTRY/REPOSITORY:TAG");
        // A pyro artifact under another environment's tag is refused, and so is one this pyro does not know.
        publisher.publish(BASE, registry.address() + "/pyro-mixed/debian:12", ProgressListener.NONE);
        RuntimeBuilder mixed = consumer(dir.resolve("mixed"), Map.of(OciSettings.REGISTRY, registry.address() + "/pyro-mixed"));
        assertThatThrownBy(() -> mixed.pull(GIT, ProgressListener.NONE))
                .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.INVALID_ARGUMENT))
                .hasMessage(registry.address() + "/pyro-mixed/debian:12 holds environment 'debian:12-base', not 'debian:12';"
                        + " check PYRO_REGISTRY or the tag it was published under");
        assertNothingInstalled(mixed, GIT);
        ImageReference future = ImageReference.parse(registry.address() + "/pyro/debian:99");
        byte[] futureConfig = ("{\"schema\":1,\"environment\":\"debian:99\",\"platform\":\"linux-x86_64\","
                + "\"kernel\":{\"release\":\"7.0-pyro\"},\"agent_sha256\":\"" + "a".repeat(64) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        String futureDigest = Digests.sha256(Hashes.sha256(futureConfig));
        client.upload(future, futureDigest, futureConfig.length, BlobUpload.Source.of(futureConfig), n -> { });
        client.putManifest(future, "99", MediaTypes.OCI_MANIFEST, OciJson.bytes(new Manifest(2, MediaTypes.OCI_MANIFEST,
                MediaTypes.PYRO_ENVIRONMENT, Descriptor.of(MediaTypes.PYRO_CONFIG, futureDigest, futureConfig.length, null),
                List.of(), null)));
        assertThatThrownBy(() -> runtime.pull(future.toString(), ProgressListener.NONE))
                .hasMessage(future + " holds environment 'debian:99', which this pyro does not know (known: debian:12,"
                        + " debian:12-base, debian:12-build); upgrade pyro to use it");
    }

    @Test
    void aBrokenEntryIsRepairedByTheNextPullAndPruneRemovesItButKeepsTheGoodOne() throws Exception {
        RuntimeBuilder runtime = consumer(dir.resolve("cache"), Map.of());
        runtime.pull(BASE, ProgressListener.NONE);
        PullOutcome git = runtime.pull(GIT, ProgressListener.NONE);
        Path image = git.installed().image();

        breakFile(image);
        assertThat(state(runtime, GIT).isInstalled()).isFalse();
        assertThat(state(runtime, GIT).status().state()).isEqualTo(ComponentState.CORRUPT);
        PullOutcome repaired = runtime.pull(GIT, ProgressListener.NONE);
        assertThat(repaired.upToDate()).isFalse();
        assertThat(state(runtime, GIT).isInstalled()).isTrue();

        breakFile(image);
        Path leftover = Files.createDirectories(runtime.paths().pulledDir("debian-12").resolve(".staging-dead"));
        Files.writeString(leftover.resolve("rootfs.ext4"), "half");
        Files.createDirectories(runtime.paths().ociBlobsDir());
        Path partial = Files.writeString(runtime.paths().ociBlobsDir().resolve("ab".repeat(32) + ".partial"), "x");
        try (Pyro pyro = Pyro.builder().cacheDir(dir.resolve("cache")).home(dir.resolve("home")).build()) {
            PruneResult pruned = pyro.pruneEnvironments();
            assertThat(pruned.removed()).extracting(r -> r.path().toString())
                    .contains(git.installed().dir().toString(), leftover.toString(), partial.toString());
            assertThat(pruned.removed()).filteredOn(r -> r.path().equals(git.installed().dir()))
                    .allSatisfy(r -> assertThat(r.reason()).startsWith("broken: "));
            assertThat(pruned.kept()).anyMatch(k -> k.startsWith("debian:12-base (pulled sha256:"));
            assertThat(pruned.freedBytes()).isGreaterThan(100L << 20);
        }
        assertThat(state(runtime, GIT).status().state()).isEqualTo(ComponentState.MISSING);
        assertThat(runtime.lockStore().read().environments()).containsOnlyKeys(BASE);
        assertThat(state(runtime, BASE).isInstalled()).isTrue();
        // And it still boots.
        try (Pyro pyro = pyro(dir.resolve("cache"), new ArrayList<>())) {
            assertThat(pyro.run(RunRequest.builder(BASE, "true").build()).exitCode()).isZero();
        }
    }

    @Test
    void basicAuthWithTheRightLoginAndAWrongOne() throws Exception {
        try (LocalRegistry secured = LocalRegistry.startWithBasicAuth("maintainer", "correct horse")) {
            Map<String, String> login = Map.of(OciSettings.USERNAME, "maintainer", OciSettings.PASSWORD, "correct horse");
            RuntimeBuilder withLogin = new RuntimeBuilder(publisher.paths(), RuntimeSettings.defaults(),
                    Recipes.fromClasspath(), HostTools.fromEnvironment(System.getenv(), publisher.paths().logsDir(), publisher.paths().aptListsStamp()),
                    settings(login));
            String target = secured.address() + "/pyro/debian:12-base";
            assertThatThrownBy(() -> publisher.publish(BASE, target, ProgressListener.NONE))
                    .hasMessageContaining("requires a login; set PYRO_REGISTRY_USERNAME and PYRO_REGISTRY_PASSWORD");
            String digest = withLogin.publish(BASE, target, ProgressListener.NONE).digest();

            Map<String, String> pull = new HashMap<>(login);
            pull.put(OciSettings.REGISTRY, secured.address() + "/pyro");
            assertThat(consumer(dir.resolve("ok"), pull).pull(BASE, ProgressListener.NONE).digest()).isEqualTo(digest);

            RuntimeBuilder wrong = consumer(dir.resolve("wrong"), Map.of(OciSettings.REGISTRY, secured.address() + "/pyro",
                    OciSettings.USERNAME, "maintainer", OciSettings.PASSWORD, "wrong horse"));
            assertThatThrownBy(() -> wrong.pull(BASE, ProgressListener.NONE))
                    .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.HOST_SETUP))
                    .hasMessage("the registry " + secured.address() + " rejected the login of 'maintainer' from"
                            + " PYRO_REGISTRY_USERNAME/PYRO_REGISTRY_PASSWORD (HTTP 401); check the user name and password");
            assertNothingInstalled(wrong, BASE);
        }
    }

    @Test
    void aFullDiskIsNamedAndTheCacheStaysConsistent() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a small tmpfs needs root");
        Path mount = Files.createDirectories(dir.resolve("small"));
        assumeTrue(exec("mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", mount.toString()) == 0, "cannot mount tmpfs");
        try {
            RuntimeBuilder runtime = consumer(mount.resolve("cache"), Map.of());
            assertThatThrownBy(() -> runtime.pull(BASE, ProgressListener.NONE))
                    .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.HOST_SETUP))
                    .hasMessageMatching("not enough disk space to pull: it needs [0-9.]+ MiB under " + mount.resolve("cache")
                            + " but only [0-9.]+ MiB are free; free space there \\(pyro env prune removes pyro's leftovers\\)"
                            + " or set PYRO_CACHE_DIR to a larger disk");
            assertNothingInstalled(runtime, BASE);

            // Writing into a full file system (the space check passed, then the disk filled up).
            Path blob = Files.write(dir.resolve("blob"), new byte[3 << 20]);
            Path out = mount.resolve("out");
            Files.write(mount.resolve("filler"), new byte[38 << 20], StandardOpenOption.CREATE);
            assertThatThrownBy(() -> new dev.pyro.internal.oci.LayerCodec(null).unpack(blob,
                    MediaTypes.Compression.NONE, out, n -> { }))
                    .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.HOST_SETUP))
                    .hasMessage("no space left on the file system of " + out + "; free space there (pyro env prune"
                            + " removes pyro's leftovers) or set PYRO_CACHE_DIR to a larger disk, then run the command again");
        } finally {
            exec("umount", mount.toString());
        }
    }

    private static void breakFile(Path file) throws Exception {
        file.toFile().setWritable(true);
        Files.write(file, new byte[] {1}, StandardOpenOption.APPEND);
    }

    private static EnvironmentState state(RuntimeBuilder runtime, String env) {
        return runtime.environmentStates().stream().filter(s -> s.name().equals(env)).findFirst().orElseThrow();
    }

    /** No installed entry, no lock entry, no staging or pulled directory that could look installed. */
    private static void assertNothingInstalled(RuntimeBuilder runtime, String env) throws Exception {
        EnvironmentState state = state(runtime, env);
        assertThat(state.isInstalled()).isFalse();
        assertThat(runtime.lockStore().read().environments()).doesNotContainKey(env);
        Path pulled = runtime.paths().pulledDir(runtime.environment(env).directory());
        if (Files.isDirectory(pulled)) {
            try (Stream<Path> entries = Files.list(pulled)) {
                assertThat(entries.filter(p -> Files.exists(p.resolve(PulledInfo.FILE)))).isEmpty();
            }
        }
    }

    private static Manifest manifest(String digest) {
        ImageReference ref = ImageReference.parse(registry.address() + "/pyro/debian@" + digest);
        return OciJson.parse(new RegistryClient(ref, settings(Map.of())).manifest(ref).body(), Manifest.class);
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int exec(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }
}
