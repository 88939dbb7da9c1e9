package dev.pyro.internal.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.PyroException;
import dev.pyro.internal.runtime.Hashes;
import dev.pyro.testsupport.LocalRegistry;
import dev.pyro.testsupport.TokenServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OCI client against a real distribution registry (Debian's docker-registry) on loopback:
 * chunked uploads, manifests by tag and digest, verified and resumed downloads, corruption,
 * unknown tags, a registry that is down, basic auth with right and wrong logins.
 */
class RegistryClientIT {
    static LocalRegistry registry;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        registry = LocalRegistry.start();
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    static OciSettings settings(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(extra);
        env.putIfAbsent(OciSettings.CHUNK_SIZE, String.valueOf(OciSettings.MIN_CHUNK));
        env.putIfAbsent(OciSettings.REQUEST_TIMEOUT, "10");
        return OciSettings.fromEnvironment(env, Path.of("/nonexistent-home"));
    }

    /** Pushes a blob of {@code size} random bytes and a pyro-typed manifest; returns the manifest digest. */
    static Pushed push(RegistryClient client, ImageReference ref, int size, long seed) {
        byte[] blob = new byte[size];
        new Random(seed).nextBytes(blob);
        String blobDigest = Digests.sha256(Hashes.sha256(blob));
        List<Long> progress = new ArrayList<>();
        client.upload(ref, blobDigest, blob.length, BlobUpload.Source.of(blob), progress::add);
        byte[] config = "{\"schema\":1}".getBytes(StandardCharsets.UTF_8);
        String configDigest = Digests.sha256(Hashes.sha256(config));
        client.upload(ref, configDigest, config.length, BlobUpload.Source.of(config), n -> { });
        Descriptor layer = Descriptor.of(MediaTypes.PYRO_ROOTFS, blobDigest, blob.length,
                Map.of(Descriptor.TITLE, "rootfs.ext4"));
        Manifest manifest = new Manifest(2, MediaTypes.OCI_MANIFEST, MediaTypes.PYRO_ENVIRONMENT,
                Descriptor.of(MediaTypes.PYRO_CONFIG, configDigest, config.length, null), List.of(layer), null);
        byte[] body = OciJson.bytes(manifest);
        String digest = client.putManifest(ref, ref.tag(), MediaTypes.OCI_MANIFEST, body);
        return new Pushed(blob, layer, digest, progress);
    }

    record Pushed(byte[] blob, Descriptor layer, String manifestDigest, List<Long> progress) {
    }

    @Test
    void chunkedPushThenPullByTagAndByDigest() throws Exception {
        RegistryClient client = new RegistryClient(ImageReference.parse(registry.address() + "/pyro/t1:v1"), settings(Map.of()));
        ImageReference ref = ImageReference.parse(registry.address() + "/pyro/t1:v1");
        Pushed pushed = push(client, ref, 300_000, 1);
        assertThat(client.baseUrl()).isEqualTo("http://" + registry.address());
        // 300,000 bytes in 64 KiB chunks: five PATCHes, progress after each.
        assertThat(pushed.progress()).containsExactly(65_536L, 131_072L, 196_608L, 262_144L, 300_000L);
        assertThat(client.blobExists(ref, pushed.layer().digest())).isTrue();

        RegistryClient.Fetched byTag = client.manifest(ref);
        assertThat(byTag.digest()).isEqualTo(pushed.manifestDigest());
        assertThat(byTag.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
        Manifest parsed = OciJson.parse(byTag.body(), Manifest.class);
        assertThat(parsed.artifactType()).isEqualTo(MediaTypes.PYRO_ENVIRONMENT);
        assertThat(parsed.layers()).containsExactly(pushed.layer());

        RegistryClient.Fetched byDigest = client.manifest(ref.withDigest(pushed.manifestDigest()));
        assertThat(byDigest.body()).isEqualTo(byTag.body());

        Path target = dir.resolve("blob");
        long transferred = client.download(ref, pushed.layer(), target, n -> { });
        assertThat(transferred).isEqualTo(300_000);
        assertThat(Files.readAllBytes(target)).isEqualTo(pushed.blob());
        assertThat(BlobDownload.partialOf(target)).doesNotExist();
    }

    @Test
    void aPartialDownloadIsResumedWithARangeRequest() throws Exception {
        ImageReference ref = ImageReference.parse(registry.address() + "/pyro/t2:v1");
        RegistryClient client = new RegistryClient(ref, settings(Map.of()));
        Pushed pushed = push(client, ref, 500_000, 2);
        Path target = dir.resolve("blob");
        Files.write(BlobDownload.partialOf(target), java.util.Arrays.copyOf(pushed.blob(), 123_456));
        long transferred = client.download(ref, pushed.layer(), target, n -> { });
        assertThat(transferred).isEqualTo(500_000 - 123_456);
        assertThat(Files.readAllBytes(target)).isEqualTo(pushed.blob());

        // A partial file with wrong bytes is caught by the final hash, and deleted.
        Path other = dir.resolve("other");
        byte[] wrong = java.util.Arrays.copyOf(pushed.blob(), 1000);
        wrong[10] ^= 1;
        Files.write(BlobDownload.partialOf(other), wrong);
        assertThatThrownBy(() -> client.download(ref, pushed.layer(), other, n -> { }))
                .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.kind())
                        .isEqualTo(PyroException.Kind.RUNTIME_NOT_READY))
                .hasMessageContaining("digest mismatch");
        assertThat(BlobDownload.partialOf(other)).doesNotExist();
        assertThat(other).doesNotExist();
        // The next attempt starts from scratch and succeeds.
        client.download(ref, pushed.layer(), other, n -> { });
        assertThat(Files.readAllBytes(other)).isEqualTo(pushed.blob());
    }

    @Test
    void aCorruptedBlobInTheRegistryIsRejected() throws Exception {
        ImageReference ref = ImageReference.parse(registry.address() + "/pyro/t3:v1");
        RegistryClient client = new RegistryClient(ref, settings(Map.of()));
        Pushed pushed = push(client, ref, 200_000, 3);
        Path stored = registry.blobFile(pushed.layer().digest());
        byte[] bytes = Files.readAllBytes(stored);
        bytes[100_000] ^= 0x55;
        Files.write(stored, bytes);
        Path target = dir.resolve("blob");
        assertThatThrownBy(() -> client.download(ref, pushed.layer(), target, n -> { }))
                .hasMessageStartingWith("the blob " + Digests.shortForm(pushed.layer().digest()))
                .hasMessageContaining("digest mismatch")
                .hasMessageContaining("nothing was installed");
        assertThat(target).doesNotExist();
        assertThat(BlobDownload.partialOf(target)).doesNotExist();
    }

    @Test
    void unknownTagAndRepositoryAreNotFound() {
        ImageReference ref = ImageReference.parse(registry.address() + "/pyro/t4:v1");
        RegistryClient client = new RegistryClient(ref, settings(Map.of()));
        push(client, ref, 1000, 4);
        assertThatThrownBy(() -> client.manifest(ImageReference.parse(registry.address() + "/pyro/t4:nope")))
                .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.NOT_FOUND))
                .hasMessage("the registry " + registry.address() + " has no tag 'nope' in pyro/t4 (MANIFEST_UNKNOWN:"
                        + " manifest unknown); check the name and tag, or publish it with: pyro env publish ENV --to "
                        + registry.address() + "/pyro/t4:nope");
        assertThatThrownBy(() -> client.manifest(ImageReference.parse(registry.address() + "/pyro/never:v1")))
                .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.NOT_FOUND))
                .hasMessageContaining("has no tag 'v1' in pyro/never");
    }

    @Test
    void aRegistryThatIsDownIsNamedWithTheFix() {
        try (LocalRegistry gone = LocalRegistry.start()) {
            gone.stop();
            ImageReference ref = ImageReference.parse(gone.address() + "/pyro/x:v1");
            assertThatThrownBy(() -> new RegistryClient(ref, settings(Map.of())).manifest(ref))
                    .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.HOST_SETUP))
                    .hasMessage("cannot reach the registry " + gone.address() + " (connection refused); check that the registry runs and the address in PYRO_REGISTRY"
                            + " or the reference is right");
        }
    }

    @Test
    void basicAuthWithTheRightLoginAndWithAWrongOne() {
        try (LocalRegistry secured = LocalRegistry.startWithBasicAuth("pyro", "s3cret pass")) {
            ImageReference ref = ImageReference.parse(secured.address() + "/pyro/auth:v1");
            RegistryClient good = new RegistryClient(ref, settings(Map.of(OciSettings.USERNAME, "pyro",
                    OciSettings.PASSWORD, "s3cret pass")));
            Pushed pushed = push(good, ref, 100_000, 5);
            assertThat(good.authenticated()).isTrue();
            assertThat(good.manifest(ref).digest()).isEqualTo(pushed.manifestDigest());

            RegistryClient anonymous = new RegistryClient(ref, settings(Map.of()));
            assertThatThrownBy(() -> anonymous.manifest(ref))
                    .hasMessage("the registry " + secured.address() + " requires a login; set PYRO_REGISTRY_USERNAME"
                            + " and PYRO_REGISTRY_PASSWORD (or run: docker login " + secured.address() + ")");

            RegistryClient wrong = new RegistryClient(ref, settings(Map.of(OciSettings.USERNAME, "pyro",
                    OciSettings.PASSWORD, "wrong")));
            assertThatThrownBy(() -> wrong.manifest(ref))
                    .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.HOST_SETUP))
                    .hasMessage("the registry " + secured.address() + " rejected the login of 'pyro' from"
                            + " PYRO_REGISTRY_USERNAME/PYRO_REGISTRY_PASSWORD (HTTP 401); check the user name and password");
        }
    }

    @Test
    void bearerTokensAnonymouslyForPullAndWithALoginForPush() {
        try (TokenServer tokens = new TokenServer(dir, "maintainer", "pw");
                LocalRegistry secured = LocalRegistry.startWithTokenAuth(tokens.realm(), TokenServer.SERVICE,
                        TokenServer.ISSUER, tokens.certificatePem())) {
            ImageReference ref = ImageReference.parse(secured.address() + "/pyro/tok:v1");
            RegistryClient maintainer = new RegistryClient(ref, settings(Map.of(OciSettings.USERNAME, "maintainer",
                    OciSettings.PASSWORD, "pw")));
            Pushed pushed = push(maintainer, ref, 70_000, 7);
            assertThat(tokens.requests).anyMatch(r -> r.startsWith("login [repository:pyro/tok:pull,push]"));

            // Anonymous: the registry challenges, the token service hands out a pull token.
            RegistryClient anonymous = new RegistryClient(ref, settings(Map.of()));
            assertThat(anonymous.manifest(ref).digest()).isEqualTo(pushed.manifestDigest());
            Path target = dir.resolve("blob");
            anonymous.download(ref, pushed.layer(), target, n -> { });
            assertThat(target).hasBinaryContent(pushed.blob());
            assertThat(tokens.requests).anyMatch(r -> r.equals("anonymous [repository:pyro/tok:pull]"));

            // Anonymous push: the token carries no push right, so the registry refuses it.
            assertThatThrownBy(() -> push(anonymous, ImageReference.parse(secured.address() + "/pyro/tok:v2"), 1000, 8))
                    .isInstanceOfSatisfying(PyroException.class, e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.HOST_SETUP))
                    .hasMessageStartingWith("the registry " + secured.address() + " refused anonymous POST /v2/pyro/tok/blobs/uploads/")
                    .hasMessageEndingWith("(HTTP 401); set PYRO_REGISTRY_USERNAME and PYRO_REGISTRY_PASSWORD to a login"
                            + " that may do it (or run: docker login " + secured.address() + ")");

            // A wrong password is refused by the token service.
            RegistryClient wrong = new RegistryClient(ref, settings(Map.of(OciSettings.USERNAME, "maintainer",
                    OciSettings.PASSWORD, "nope")));
            assertThatThrownBy(() -> wrong.manifest(ref))
                    .hasMessage("the registry " + secured.address() + " rejected the login of 'maintainer' from"
                            + " PYRO_REGISTRY_USERNAME/PYRO_REGISTRY_PASSWORD (the token service answered HTTP 401);"
                            + " check the user name and password");
        }
    }

    @Test
    void loginsComeFromTheDockerConfigFile() throws Exception {
        try (LocalRegistry secured = LocalRegistry.startWithBasicAuth("docker-user", "pw")) {
            Path docker = Files.createDirectories(dir.resolve("docker"));
            String auth = java.util.Base64.getEncoder().encodeToString("docker-user:pw".getBytes(StandardCharsets.UTF_8));
            Files.writeString(docker.resolve("config.json"), "{\"auths\":{\"http://" + secured.address()
                    + "\":{\"auth\":\"" + auth + "\"}}}");
            ImageReference ref = ImageReference.parse(secured.address() + "/pyro/dc:v1");
            RegistryClient client = new RegistryClient(ref, settings(Map.of("DOCKER_CONFIG", docker.toString())));
            Pushed pushed = push(client, ref, 10_000, 6);
            assertThat(client.manifest(ref).digest()).isEqualTo(pushed.manifestDigest());
        }
    }
}
