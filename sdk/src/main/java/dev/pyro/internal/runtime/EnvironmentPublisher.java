package dev.pyro.internal.runtime;

import dev.pyro.Pyro;
import dev.pyro.ProgressListener;
import dev.pyro.PyroException;
import dev.pyro.internal.host.HostRequirements;
import dev.pyro.internal.host.HostTools;
import dev.pyro.internal.oci.BlobUpload;
import dev.pyro.internal.oci.Descriptor;
import dev.pyro.internal.oci.Digests;
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
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Publishes an installed environment as an OCI artifact (docs/oci-artifact.md): the build
 * manifest and bzImage as they are, vmlinux and the root image zstd-compressed, a config blob
 * describing every file, and an image manifest with {@code artifactType}
 * {@code application/vnd.pyro.environment.v1}, pushed with chunked uploads; blobs the registry
 * already has are not sent again. Every file is re-hashed first: only intact artifacts leave.
 */
final class EnvironmentPublisher {
    private final RuntimePaths paths;
    private final OciSettings settings;
    private final HostTools tools;

    EnvironmentPublisher(RuntimePaths paths, OciSettings settings, HostTools tools) {
        this.paths = paths;
        this.settings = settings;
        this.tools = tools;
    }

    /** A file to publish: where it is, how it travels, and what it is once installed. */
    private record Part(String name, Path source, String mediaType, boolean compress, String installedSha256) {
    }

    PublishOutcome publish(EnvironmentRecipe recipe, InstalledEnvironment env, String targetText,
            ProgressListener listener) {
        long started = System.nanoTime();
        ImageReference ref = ImageReference.parse(targetText);
        if (ref.digest() != null) {
            throw PyroException.invalidArgument("publish to a tag, not a digest: drop @" + ref.digest() + " from "
                    + targetText + " (the digest is printed when the push is done)");
        }
        Progress progress = new Progress(listener, "publish");
        Path zstd = tools.ensure(HostRequirements.OCI_LAYERS, listener).get("zstd");
        LayerCodec codec = new LayerCodec(zstd);
        List<Part> parts = List.of(
                new Part(EnvironmentConfig.BUILD_MANIFEST, env.manifestFile(), MediaTypes.PYRO_BUILD_MANIFEST, false, null),
                new Part(EnvironmentConfig.BZIMAGE, env.bzImage(), MediaTypes.PYRO_BZIMAGE, false, env.kernelSha256()),
                new Part(EnvironmentConfig.VMLINUX, env.vmlinux(), MediaTypes.PYRO_VMLINUX + "+zstd", true,
                        env.vmlinuxSha256()),
                new Part(EnvironmentConfig.IMAGE, env.image(), MediaTypes.PYRO_ROOTFS + "+zstd", true, env.imageSha256()));
        Path work = Trees.newStagingDir(paths.buildDir(), "publish-" + recipe.directory() + "-");
        try {
            List<EnvironmentConfig.FileEntry> files = new ArrayList<>();
            List<Blob> blobs = new ArrayList<>();
            for (Part part : parts) {
                progress.step("checking " + part.source());
                String sha = Hashes.sha256(part.source());
                if (part.installedSha256() != null && !sha.equals(part.installedSha256())) {
                    throw new PyroException(PyroException.Kind.RUNTIME_NOT_READY, part.source() + " changed after it"
                            + " was installed (sha256 " + sha.substring(0, 12) + ", recorded "
                            + part.installedSha256().substring(0, 12) + "); rebuild or pull it again before publishing");
                }
                long size = Files.size(part.source());
                files.add(new EnvironmentConfig.FileEntry(part.name(), part.mediaType(), sha, size));
                Path upload = part.source();
                String digest = sha;
                if (part.compress()) {
                    progress.step("compressing " + part.name() + " (" + EnvironmentPuller.mib(size) + ", zstd -"
                            + settings.compressionLevel() + ")");
                    upload = work.resolve(part.name() + ".zst");
                    codec.compressZstd(part.source(), upload, settings.compressionLevel());
                    digest = Hashes.sha256(upload);
                }
                blobs.add(new Blob(part.name(), part.mediaType(), Digests.sha256(digest), Files.size(upload),
                        BlobUpload.Source.of(upload)));
            }
            byte[] config = Json.bytes(config(recipe, env, files));
            Blob configBlob = new Blob("config", MediaTypes.PYRO_CONFIG, Digests.sha256(Hashes.sha256(config)),
                    config.length, BlobUpload.Source.of(config));

            RegistryClient client = new RegistryClient(ref, settings);
            List<PublishOutcome.Layer> layers = new ArrayList<>();
            long uploaded = 0;
            long reused = 0;
            long total = blobs.stream().mapToLong(Blob::size).sum() + config.length;
            long done = 0;
            List<Blob> all = new ArrayList<>(List.of(configBlob));
            all.addAll(blobs);
            for (Blob blob : all) {
                long before = done;
                boolean exists = client.blobExists(ref, blob.digest());
                if (exists) {
                    reused += blob.size();
                    progress.update(blob.title() + " is already in " + ref.registry(), before + blob.size(), total);
                } else {
                    String what = "uploading " + blob.title() + " (" + EnvironmentPuller.mib(blob.size()) + ") to " + ref;
                    progress.update(what, before, total);
                    client.upload(ref, blob.digest(), blob.size(), blob.content(), n -> progress.update(what, before + n, total));
                    uploaded += blob.size();
                }
                done += blob.size();
                layers.add(new PublishOutcome.Layer(blob.title(), blob.mediaType(), blob.digest(), blob.size(), exists));
            }
            String created = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
            List<Descriptor> descriptors = blobs.stream().map(b -> Descriptor.of(b.mediaType(), b.digest(), b.size(),
                    Map.of(Descriptor.TITLE, b.title()))).toList();
            Map<String, String> annotations = new LinkedHashMap<>();
            annotations.put("org.opencontainers.image.created", created);
            annotations.put("org.opencontainers.image.title", recipe.name());
            annotations.put("org.opencontainers.image.description", recipe.description());
            annotations.put("org.opencontainers.image.version", env.manifest().environmentVersion());
            annotations.put("dev.pyro.environment", recipe.name());
            Manifest manifest = new Manifest(2, MediaTypes.OCI_MANIFEST, MediaTypes.PYRO_ENVIRONMENT,
                    Descriptor.of(MediaTypes.PYRO_CONFIG, configBlob.digest(), configBlob.size(), null), descriptors,
                    annotations);
            progress.step("storing the manifest as " + ref);
            String digest = client.putManifest(ref, ref.tag(), MediaTypes.OCI_MANIFEST, OciJson.bytes(manifest));
            progress.step(recipe.name() + " published as " + ref + "@" + digest + " (" + EnvironmentPuller.mib(uploaded)
                    + " uploaded, " + EnvironmentPuller.mib(reused) + " already there)");
            return new PublishOutcome(recipe.name(), ref.toString(), digest, layers, uploaded, reused,
                    Duration.ofNanos(System.nanoTime() - started));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            Trees.deleteRecursively(work);
        }
    }

    private record Blob(String title, String mediaType, String digest, long size, BlobUpload.Source content) {
    }

    private static EnvironmentConfig config(EnvironmentRecipe recipe, InstalledEnvironment env,
            List<EnvironmentConfig.FileEntry> files) {
        RootfsManifest m = env.manifest();
        return new EnvironmentConfig(EnvironmentConfig.SCHEMA, recipe.name(), m.environmentVersion(),
                recipe.description(), RuntimePaths.PLATFORM, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
                Pyro.version(), env.kernel(), env.agentSha256(), m.key(), m.baseKey(), m.suite(), m.variant(),
                m.aptSources(), m.requestedPackages(), m.packages(), files);
    }
}
