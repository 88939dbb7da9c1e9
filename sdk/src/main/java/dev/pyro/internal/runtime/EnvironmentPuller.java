package dev.pyro.internal.runtime;

import dev.pyro.ProgressListener;
import dev.pyro.PyroException;
import dev.pyro.internal.host.HostRequirements;
import dev.pyro.internal.host.HostTools;
import dev.pyro.internal.oci.Descriptor;
import dev.pyro.internal.oci.Digests;
import dev.pyro.internal.oci.DiskErrors;
import dev.pyro.internal.oci.ImageIndex;
import dev.pyro.internal.oci.ImageReference;
import dev.pyro.internal.oci.LayerCodec;
import dev.pyro.internal.oci.Manifest;
import dev.pyro.internal.oci.MediaTypes;
import dev.pyro.internal.oci.OciJson;
import dev.pyro.internal.oci.OciSettings;
import dev.pyro.internal.oci.RegistryClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Pulls an environment from an OCI registry into the cache: resolves the reference (a catalog
 * name under {@code PYRO_REGISTRY}, or a full reference, either optionally pinned by digest),
 * fetches and checks the manifest and the environment config, downloads every layer (resumable,
 * sha256-verified) into {@code <cache>/oci/blobs}, unpacks each into a staging directory while
 * hashing it against the config, writes {@code pulled.json} last and renames the directory into
 * place. Only then does the lock point at it. A pull that fails or is killed leaves no installed
 * entry; its partial downloads are resumed by the next pull. Runs under the environment's build
 * lock, so a pull and a build of the same environment never overlap.
 */
final class EnvironmentPuller {
    private static final Map<String, String> FILE_BY_TYPE = Map.of(
            MediaTypes.PYRO_BZIMAGE, EnvironmentConfig.BZIMAGE,
            MediaTypes.PYRO_VMLINUX, EnvironmentConfig.VMLINUX,
            MediaTypes.PYRO_ROOTFS, EnvironmentConfig.IMAGE,
            MediaTypes.PYRO_BUILD_MANIFEST, EnvironmentConfig.BUILD_MANIFEST);

    private final RuntimePaths paths;
    private final Recipes recipes;
    private final PulledStore pulls;
    private final RuntimeLockStore lockStore;
    private final OciSettings settings;
    private final HostTools tools;

    EnvironmentPuller(RuntimePaths paths, Recipes recipes, PulledStore pulls, RuntimeLockStore lockStore,
            OciSettings settings, HostTools tools) {
        this.paths = paths;
        this.recipes = recipes;
        this.pulls = pulls;
        this.lockStore = lockStore;
        this.settings = settings;
        this.tools = tools;
    }

    /** What the user asked for: a registry reference and, for a catalog name, the environment expected there. */
    record Target(ImageReference reference, String expectedEnvironment) {
    }

    /**
     * Resolves {@code ENV[@sha256:...]} under {@code PYRO_REGISTRY}, or a full reference.
     *
     * @throws PyroException INVALID_ARGUMENT for an unknown environment, a malformed reference,
     *     or a catalog name without a registry to pull it from
     */
    Target target(String text) {
        if (text == null || text.isBlank()) {
            throw PyroException.invalidArgument("no environment given; name one, as in: pyro env pull debian:12");
        }
        String trimmed = text.strip();
        if (trimmed.contains("/")) {
            return new Target(ImageReference.parse(trimmed), null);
        }
        int at = trimmed.indexOf('@');
        String name = at < 0 ? trimmed : trimmed.substring(0, at);
        String digest = at < 0 ? null : trimmed.substring(at + 1);
        EnvironmentRecipe recipe = recipes.environment(name);
        if (digest != null && !Digests.isSha256(digest)) {
            throw PyroException.invalidArgument("'" + trimmed + "' pins a malformed digest; write it as " + name
                    + "@sha256:<64 lower-case hex digits>");
        }
        String prefix = settings.registry().orElseThrow(() -> PyroException.invalidArgument("no registry to pull "
                + name + " from; set " + OciSettings.REGISTRY + " to a registry and repository prefix (e.g."
                + " registry.example:5000/pyro) or pull a full reference: pyro env pull REGISTRY/REPOSITORY:TAG"));
        return new Target(ImageReference.forEnvironment(prefix, recipe.name(), digest), recipe.name());
    }

    @SuppressWarnings("try") // the lock is held for the block's duration, never used in it
    PullOutcome pull(String text, ProgressListener listener) {
        long started = System.nanoTime();
        Target target = target(text);
        ImageReference ref = target.reference();
        Progress progress = new Progress(listener, "pull");
        progress.step("fetching the manifest of " + ref);
        RegistryClient client = new RegistryClient(ref, settings);
        RegistryClient.Fetched fetched = pyroManifest(client, ref);
        Manifest manifest = parseManifest(ref, fetched);
        byte[] configBytes = client.smallBlob(ref, manifest.config());
        EnvironmentConfig config = parseConfig(ref, configBytes);
        EnvironmentRecipe recipe = recipeOf(ref, config, target.expectedEnvironment());
        List<LayerFile> layers = layerFiles(ref, manifest, config);
        String digest = fetched.digest();

        try (FileLocks.Held lock = FileLocks.acquire(paths.locksDir().resolve("rootfs-" + recipe.directory() + ".lock"),
                progress, "the " + recipe.name() + " image")) {
            Path targetDir = pulls.dirFor(recipe, digest);
            Optional<PulledEnvironment> existing = pulls.read(recipe, targetDir)
                    .filter(p -> digest.equals(p.info().digest()))
                    .filter(p -> {
                        progress.step("checking the installed copy of " + Digests.shortForm(digest));
                        return p.info().problem(p.dir(), true).isEmpty();
                    });
            if (existing.isPresent()) {
                PulledEnvironment p = existing.get();
                lockStore.update(l -> l.withEnvironment(recipe.name(), LockEntries.pulled(p)));
                progress.step(recipe.name() + " " + Digests.shortForm(digest) + " is already installed and intact");
                return outcome(recipe, ref, digest, layers, 0, true, started, Duration.ZERO, p);
            }
            Trees.deleteChildren(pulls.root(recipe), ".");
            checkSpace(layers);
            LayerCodec codec = new LayerCodec(needsZstd(layers)
                    ? tools.ensure(HostRequirements.OCI_LAYERS, listener).get("zstd") : null);
            return install(client, ref, digest, fetched.body(), configBytes, manifest, config, recipe, layers, codec,
                    progress, started);
        }
    }

    /** A layer and the file it installs. */
    record LayerFile(Descriptor layer, EnvironmentConfig.FileEntry file) {
    }

    private PullOutcome install(RegistryClient client, ImageReference ref, String digest, byte[] manifestBytes,
            byte[] configBytes, Manifest manifest, EnvironmentConfig config, EnvironmentRecipe recipe,
            List<LayerFile> layers, LayerCodec codec, Progress progress, long started) {
        Path staging = Trees.newStagingDir(pulls.root(recipe), ".staging-");
        long total = layers.stream().mapToLong(l -> l.layer().size()).sum();
        long done = 0;
        long downloaded = 0;
        long downloadNanos = 0;
        List<InstalledFile> files = new ArrayList<>();
        try {
            for (LayerFile lf : layers) {
                Descriptor layer = lf.layer();
                String name = lf.file().name();
                long before = done;
                Path blob = paths.ociBlobsDir().resolve(Digests.hex(layer.digest()));
                try (FileLocks.Held blobLock = FileLocks.acquire(paths.locksDir().resolve("blob-"
                        + Digests.hex(layer.digest()).substring(0, 16) + ".lock"), progress, "blob " + layer.digest())) {
                    Files.createDirectories(paths.ociBlobsDir());
                    if (!verifiedBlob(blob, layer)) {
                        String what = "downloading " + name + " (" + mib(layer.size()) + ") from " + ref;
                        progress.update(what, before, total);
                        long t0 = System.nanoTime();
                        downloaded += client.download(ref, layer, blob, n -> progress.update(what, before + n, total));
                        downloadNanos += System.nanoTime() - t0;
                    }
                    progress.update("unpacking " + name, before + layer.size(), total);
                    String sha = codec.unpack(blob, MediaTypes.compression(layer.mediaType()), staging.resolve(name),
                            n -> { });
                    checkUnpacked(ref, lf, staging.resolve(name), sha);
                    Files.setPosixFilePermissions(staging.resolve(name), PosixFilePermissions.fromString("r--r--r--"));
                    files.add(InstalledFile.withHash(staging, name, sha));
                }
                done += layer.size();
            }
            writeReadOnly(staging.resolve(PulledInfo.CONFIG), configBytes);
            writeReadOnly(staging.resolve(PulledInfo.OCI_MANIFEST), manifestBytes);
            files.add(InstalledFile.withHash(staging, PulledInfo.CONFIG, Hashes.sha256(configBytes)));
            files.add(InstalledFile.withHash(staging, PulledInfo.OCI_MANIFEST, Hashes.sha256(manifestBytes)));
            String key = PulledStore.keyOf(digest);
            List<PulledInfo.Layer> layerInfo = layers.stream().map(l -> new PulledInfo.Layer(l.layer().mediaType(),
                    l.layer().digest(), l.layer().size(), l.file().name())).toList();
            PulledInfo info = new PulledInfo(1, key, ref.withDigest(null) + "@" + digest, recipe.name(),
                    ref.withDigest(null).toString(), digest, manifest.config().digest(), layerInfo, config, files,
                    Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), downloaded);
            progress.update("installing " + recipe.name(), total, total);
            Files.write(staging.resolve(PulledInfo.FILE), Json.bytes(info));
            Path target = pulls.dirFor(recipe, digest);
            Trees.install(staging, target);
            staging = null;
            PulledEnvironment installed = new PulledEnvironment(target, info);
            lockStore.update(l -> l.withEnvironment(recipe.name(), LockEntries.pulled(installed)));
            deleteBlobs(layers);
            progress.step(recipe.name() + " pulled from " + ref + " (" + Digests.shortForm(digest) + ", "
                    + mib(downloaded) + " downloaded) into " + target);
            return outcome(recipe, ref, digest, layers, downloaded, false, started, Duration.ofNanos(downloadNanos),
                    installed);
        } catch (IOException e) {
            throw DiskErrors.writing(staging == null ? pulls.root(recipe) : staging, e);
        } catch (UncheckedIOException e) {
            throw DiskErrors.writing(staging == null ? pulls.root(recipe) : staging, e.getCause());
        } finally {
            if (staging != null) {
                Trees.deleteRecursively(staging);
            }
        }
    }

    private PullOutcome outcome(EnvironmentRecipe recipe, ImageReference ref, String digest, List<LayerFile> layers,
            long downloaded, boolean upToDate, long started, Duration downloadTime, PulledEnvironment p) {
        RootfsManifest manifest = Json.readIfValid(p.manifestFile(), RootfsManifest.class).orElseThrow(() ->
                new PyroException(PyroException.Kind.RUNTIME_NOT_READY, p.manifestFile() + " is unreadable;"
                        + " the published environment is broken: publish it again"));
        long total = layers.stream().mapToLong(l -> l.layer().size()).sum();
        return new PullOutcome(recipe.name(), ref.toString(), digest, total, downloaded, upToDate,
                Duration.ofNanos(System.nanoTime() - started), downloadTime, InstalledEnvironment.pulled(p, manifest));
    }

    /** The manifest for the reference; an index is resolved to its pyro (or linux/amd64) entry. */
    private RegistryClient.Fetched pyroManifest(RegistryClient client, ImageReference ref) {
        RegistryClient.Fetched fetched = client.manifest(ref);
        if (!MediaTypes.isIndex(fetched.mediaType())) {
            return fetched;
        }
        ImageIndex index;
        try {
            index = OciJson.parse(fetched.body(), ImageIndex.class);
        } catch (IllegalArgumentException e) {
            throw notPyro(ref, "its index is malformed (" + e.getMessage() + ")");
        }
        List<Descriptor> candidates = index.manifests().stream()
                .filter(d -> MediaTypes.PYRO_ENVIRONMENT.equals(d.artifactType())).toList();
        if (candidates.isEmpty()) {
            candidates = index.manifests().stream().filter(d -> d.platform() != null
                    && "linux".equals(d.platform().os()) && "amd64".equals(d.platform().architecture())).toList();
        }
        if (candidates.isEmpty() && index.manifests().size() == 1) {
            candidates = index.manifests();
        }
        if (candidates.isEmpty()) {
            throw notPyro(ref, "its index has no pyro environment and no linux/amd64 entry");
        }
        return client.manifest(ref, candidates.get(0).digest());
    }

    private static Manifest parseManifest(ImageReference ref, RegistryClient.Fetched fetched) {
        Manifest manifest;
        try {
            manifest = OciJson.parse(fetched.body(), Manifest.class);
        } catch (IllegalArgumentException e) {
            throw notPyro(ref, "its manifest is malformed (" + e.getMessage() + ")");
        }
        if (manifest.config() == null || !MediaTypes.isManifest(fetched.mediaType())
                && !MediaTypes.OCI_MANIFEST.equals(manifest.mediaType())) {
            throw notPyro(ref, "it is a " + fetched.mediaType() + ", not an image manifest");
        }
        boolean pyro = MediaTypes.PYRO_ENVIRONMENT.equals(manifest.artifactType())
                || MediaTypes.PYRO_CONFIG.equals(manifest.config().mediaType());
        if (!pyro) {
            throw notPyro(ref, "its config is " + manifest.config().mediaType() + " (a container image?)");
        }
        if (!Digests.isSha256(manifest.config().digest())) {
            throw notPyro(ref, "its config digest " + manifest.config().digest() + " is not sha256");
        }
        return manifest;
    }

    private static EnvironmentConfig parseConfig(ImageReference ref, byte[] bytes) {
        EnvironmentConfig config;
        try {
            config = Json.parse(bytes, EnvironmentConfig.class);
        } catch (RuntimeException e) {
            throw notPyro(ref, "its environment config is malformed");
        }
        if (config == null || config.schema() != EnvironmentConfig.SCHEMA) {
            throw new PyroException(PyroException.Kind.INVALID_ARGUMENT, ref + " was published in environment format "
                    + (config == null ? "?" : config.schema()) + ", which this pyro does not read (it reads "
                    + EnvironmentConfig.SCHEMA + "); upgrade pyro or pull another tag");
        }
        if (!RuntimePaths.PLATFORM.equals(config.platform())) {
            throw PyroException.invalidArgument(ref + " is an environment for " + config.platform() + "; this host needs "
                    + RuntimePaths.PLATFORM + ": pull a tag built for it");
        }
        if (config.environment() == null || config.kernel() == null || config.kernel().release() == null
                || !Hashes.isSha256(config.agentSha256())) {
            throw notPyro(ref, "its environment config lacks the environment name, kernel or agent");
        }
        return config;
    }

    private EnvironmentRecipe recipeOf(ImageReference ref, EnvironmentConfig config, String expected) {
        if (expected != null && !expected.equals(config.environment())) {
            throw PyroException.invalidArgument(ref + " holds environment '" + config.environment() + "', not '"
                    + expected + "'; check " + OciSettings.REGISTRY + " or the tag it was published under");
        }
        List<EnvironmentRecipe> all = recipes.environments();
        return all.stream().filter(r -> r.name().equals(config.environment())).findFirst().orElseThrow(() ->
                PyroException.invalidArgument(ref + " holds environment '" + config.environment() + "', which this"
                        + " pyro does not know (known: " + all.stream().map(EnvironmentRecipe::name)
                        .collect(Collectors.joining(", ")) + "); upgrade pyro to use it"));
    }

    /** Matches the manifest's layers to the config's files; every boot artifact must be there. */
    private static List<LayerFile> layerFiles(ImageReference ref, Manifest manifest, EnvironmentConfig config) {
        List<LayerFile> result = new ArrayList<>();
        for (String name : List.of(EnvironmentConfig.BUILD_MANIFEST, EnvironmentConfig.BZIMAGE, EnvironmentConfig.VMLINUX,
                EnvironmentConfig.IMAGE)) {
            EnvironmentConfig.FileEntry file = config.file(name);
            if (file == null || !Hashes.isSha256(file.sha256()) || file.size() < 0) {
                throw notPyro(ref, "its config does not describe " + name);
            }
            List<Descriptor> matching = manifest.layers().stream()
                    .filter(l -> name.equals(FILE_BY_TYPE.get(MediaTypes.base(l.mediaType())))).toList();
            if (matching.size() != 1) {
                throw notPyro(ref, "it has " + matching.size() + " layers for " + name + " (wanted exactly one)");
            }
            Descriptor layer = matching.get(0);
            if (!Digests.isSha256(layer.digest()) || layer.size() < 0) {
                throw notPyro(ref, "the layer of " + name + " has no valid sha256 digest");
            }
            if (!layer.mediaType().equals(file.mediaType())) {
                throw notPyro(ref, "the layer of " + name + " is " + layer.mediaType() + " but its config says "
                        + file.mediaType());
            }
            result.add(new LayerFile(layer, file));
        }
        return result;
    }

    private static void checkUnpacked(ImageReference ref, LayerFile lf, Path file, String sha) throws IOException {
        long size = Files.size(file);
        if (size != lf.file().size() || !sha.equals(lf.file().sha256())) {
            throw new PyroException(PyroException.Kind.RUNTIME_NOT_READY, lf.file().name() + " of " + ref
                    + " unpacks to " + size + " bytes with sha256 " + sha.substring(0, 12) + ", but its config says "
                    + lf.file().size() + " bytes with sha256 " + lf.file().sha256().substring(0, 12)
                    + " (digest mismatch); nothing was installed; publish the environment again");
        }
    }

    /** A complete blob left by an interrupted pull is reused only if it still hashes right. */
    private static boolean verifiedBlob(Path blob, Descriptor layer) throws IOException {
        if (!Files.isRegularFile(blob)) {
            return false;
        }
        if (Files.size(blob) == layer.size() && Digests.sha256(Hashes.sha256(blob)).equals(layer.digest())) {
            return true;
        }
        Files.delete(blob);
        return false;
    }

    private void checkSpace(List<LayerFile> layers) {
        long needed = 0;
        for (LayerFile l : layers) {
            Path blob = paths.ociBlobsDir().resolve(Digests.hex(l.layer().digest()));
            long have = sizeOrZero(blob) + sizeOrZero(blob.resolveSibling(blob.getFileName() + ".partial"));
            needed += Math.max(0, l.layer().size() - have) + l.file().size();
        }
        Path probe = paths.cacheDir();
        try {
            Files.createDirectories(probe);
            long free = Files.getFileStore(probe).getUsableSpace();
            if (free < needed) {
                throw new PyroException(PyroException.Kind.HOST_SETUP, "not enough disk space to pull: it needs "
                        + mib(needed) + " under " + probe + " but only " + mib(free) + " are free; free space there"
                        + " (pyro env prune removes pyro's leftovers) or set PYRO_CACHE_DIR to a larger disk");
            }
        } catch (IOException e) {
            throw DiskErrors.writing(probe, e);
        }
    }

    private void deleteBlobs(List<LayerFile> layers) {
        for (LayerFile l : layers) {
            try {
                Files.deleteIfExists(paths.ociBlobsDir().resolve(Digests.hex(l.layer().digest())));
            } catch (IOException ignored) {
                // Left for pyro env prune.
            }
        }
    }

    private static boolean needsZstd(List<LayerFile> layers) {
        return layers.stream().anyMatch(l -> MediaTypes.compression(l.layer().mediaType()) == MediaTypes.Compression.ZSTD);
    }

    private static void writeReadOnly(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
    }

    private static long sizeOrZero(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    static String mib(long bytes) {
        return bytes < (1 << 20) ? bytes / 1024 + " KiB" : String.format("%.1f MiB", bytes / 1048576.0);
    }

    private static PyroException notPyro(ImageReference ref, String why) {
        return new PyroException(PyroException.Kind.INVALID_ARGUMENT, ref + " is not a pyro environment: " + why
                + "; pull a reference published with: pyro env publish ENV --to REGISTRY/REPOSITORY:TAG");
    }
}
