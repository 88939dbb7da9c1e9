package dev.pyro.internal.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ManifestJsonTest {
    private static final String D1 = "sha256:" + "11".repeat(32);
    private static final String D2 = "sha256:" + "22".repeat(32);

    @Test
    void aPyroManifestRoundTripsWithSpecFieldNamesAndNoNulls() {
        Manifest m = new Manifest(2, MediaTypes.OCI_MANIFEST, MediaTypes.PYRO_ENVIRONMENT,
                Descriptor.of(MediaTypes.PYRO_CONFIG, D1, 10, null),
                List.of(Descriptor.of(MediaTypes.PYRO_ROOTFS + "+zstd", D2, 20, Map.of(Descriptor.TITLE, "rootfs.ext4"))),
                Map.of("org.opencontainers.image.created", "2026-11-23T00:00:00Z"));
        String json = new String(OciJson.bytes(m), StandardCharsets.UTF_8);
        assertThat(json).contains("\"schemaVersion\":2", "\"artifactType\":\"application/vnd.pyro.environment.v1\"",
                "\"mediaType\":\"application/vnd.pyro.rootfs.ext4.v1+zstd\"",
                "\"annotations\":{\"org.opencontainers.image.title\":\"rootfs.ext4\"}")
                .doesNotContain("null", "\"platform\"");
        assertThat(OciJson.parse(json.getBytes(StandardCharsets.UTF_8), Manifest.class)).isEqualTo(m);
        assertThat(OciJson.mediaTypeOf(json.getBytes(StandardCharsets.UTF_8))).isEqualTo(MediaTypes.OCI_MANIFEST);
    }

    @Test
    void readsAnIndexAndADockerManifestIgnoringUnknownFields() {
        String index = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
                + "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + D1 + "\",\"size\":5,"
                + "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\",\"os.features\":[]}},"
                + "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + D2 + "\",\"size\":6,"
                + "\"artifactType\":\"application/vnd.pyro.environment.v1\"}],\"extra\":true}";
        ImageIndex i = OciJson.parse(index.getBytes(StandardCharsets.UTF_8), ImageIndex.class);
        assertThat(i.manifests()).hasSize(2);
        assertThat(i.manifests().get(0).platform()).isEqualTo(new Descriptor.Platform("amd64", "linux"));
        assertThat(i.manifests().get(1).artifactType()).isEqualTo(MediaTypes.PYRO_ENVIRONMENT);

        String docker = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":7,\"digest\":\""
                + D1 + "\"},\"layers\":[]}";
        Manifest m = OciJson.parse(docker.getBytes(StandardCharsets.UTF_8), Manifest.class);
        assertThat(m.config().mediaType()).isEqualTo("application/vnd.docker.container.image.v1+json");
        assertThat(m.artifactType()).isNull();
        assertThat(m.layers()).isEmpty();
    }

    @Test
    void mediaTypeSuffixesNameTheCompression() {
        assertThat(MediaTypes.compression(MediaTypes.PYRO_ROOTFS + "+zstd")).isEqualTo(MediaTypes.Compression.ZSTD);
        assertThat(MediaTypes.compression(MediaTypes.PYRO_ROOTFS + "+gzip")).isEqualTo(MediaTypes.Compression.GZIP);
        assertThat(MediaTypes.compression(MediaTypes.PYRO_BZIMAGE)).isEqualTo(MediaTypes.Compression.NONE);
        assertThat(MediaTypes.base(MediaTypes.PYRO_VMLINUX + "+zstd")).isEqualTo(MediaTypes.PYRO_VMLINUX);
        assertThat(MediaTypes.isIndex(MediaTypes.DOCKER_MANIFEST_LIST)).isTrue();
        assertThat(MediaTypes.isManifest(MediaTypes.DOCKER_MANIFEST)).isTrue();
    }

    @Test
    void malformedDocumentsAndRegistryErrors() {
        assertThatThrownBy(() -> OciJson.parse("{\"schemaVersion\":".getBytes(StandardCharsets.UTF_8), Manifest.class))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OciJson.parse("null".getBytes(StandardCharsets.UTF_8), Manifest.class))
                .hasMessage("empty document");
        assertThat(RegistryErrors.explain(("{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\","
                + "\"detail\":{}}]}").getBytes(StandardCharsets.UTF_8))).isEqualTo("MANIFEST_UNKNOWN: manifest unknown");
        assertThat(RegistryErrors.explain("<html>\n  Bad gateway\n</html>".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("<html> Bad gateway </html>");
        assertThat(RegistryErrors.explain(new byte[0])).isEmpty();
        assertThat(Digests.isSha256(D1)).isTrue();
        assertThat(Digests.isSha256("sha256:" + "AB".repeat(32))).isFalse();
        assertThat(Digests.shortForm(D1)).isEqualTo("sha256:111111111111");
    }
}
