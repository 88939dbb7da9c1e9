package dev.pyro.internal.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.PyroException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ImageReferenceTest {
    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    @Test
    void parsesRegistryRepositoryTagAndDigest() {
        ImageReference r = ImageReference.parse("registry.example:5000/pyro/debian:12-base@" + DIGEST);
        assertThat(r.registry()).isEqualTo("registry.example:5000");
        assertThat(r.host()).isEqualTo("registry.example");
        assertThat(r.repository()).isEqualTo("pyro/debian");
        assertThat(r.tag()).isEqualTo("12-base");
        assertThat(r.digest()).isEqualTo(DIGEST);
        assertThat(r.manifestReference()).isEqualTo(DIGEST);
        assertThat(r).hasToString("registry.example:5000/pyro/debian:12-base@" + DIGEST);
    }

    @Test
    void aMissingTagMeansLatestUnlessADigestPinsIt() {
        assertThat(ImageReference.parse("localhost/pyro/debian").tag()).isEqualTo("latest");
        ImageReference pinned = ImageReference.parse("localhost:5000/debian@" + DIGEST);
        assertThat(pinned.tag()).isNull();
        assertThat(pinned).hasToString("localhost:5000/debian@" + DIGEST);
    }

    @Test
    void environmentsMapUnderTheRegistryPrefix() {
        assertThat(ImageReference.forEnvironment("registry.example:5000/pyro", "debian:12-base", null))
                .hasToString("registry.example:5000/pyro/debian:12-base");
        assertThat(ImageReference.forEnvironment("127.0.0.1:5000/", "debian:12", DIGEST))
                .hasToString("127.0.0.1:5000/debian:12@" + DIGEST);
        assertThat(ImageReference.forEnvironment("ghcr.io/acme/envs", "tools", null))
                .hasToString("ghcr.io/acme/envs/tools:latest");
    }

    @Test
    void loopbackAndDockerHub() {
        assertThat(ImageReference.parse("127.0.0.1:5000/a:b").isLoopback()).isTrue();
        assertThat(ImageReference.parse("127.8.9.10/a:b").isLoopback()).isTrue();
        assertThat(ImageReference.parse("localhost:5000/a:b").isLoopback()).isTrue();
        assertThat(ImageReference.parse("[::1]:5000/a:b").isLoopback()).isTrue();
        assertThat(ImageReference.parse("[::1]:5000/a:b").host()).isEqualTo("[::1]");
        assertThat(ImageReference.parse("10.0.0.1:5000/a:b").isLoopback()).isFalse();
        assertThat(ImageReference.parse("127.example.com/a:b").isLoopback()).isFalse();
        assertThat(ImageReference.parse("docker.io/pyro/debian:12").apiHost()).isEqualTo("registry-1.docker.io");
        assertThat(ImageReference.parse("Registry.Example/a:b").registry()).isEqualTo("registry.example");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "debian:12                                 | it names no registry",
        "pyro/debian:12                            | 'pyro' is not a registry host",
        "registry.example/Pyro/debian:12           | 'Pyro/debian' is not a valid repository",
        "registry.example/pyro//debian:12          | is not a valid repository",
        "registry.example/pyro/debian:             | '' is not a valid tag",
        "registry.example/pyro/debian:-x           | '-x' is not a valid tag",
        "registry.example/pyro/debian@sha256:abc   | the digest must be sha256: followed by 64",
        "registry.example/pyro/debian@md5:" + "ab" + " | the digest must be sha256",
        "registry.example:99999/pyro/debian:1      | is not a valid host[:port]",
        "registry_example:5000/pyro/debian:1       | is not a valid host[:port]",
        "registry.example/                         | the repository is empty",
    })
    void malformedReferencesSayWhatIsWrongAndShowTheForm(String text, String why) {
        assertThatThrownBy(() -> ImageReference.parse(text))
                .isInstanceOfSatisfying(PyroException.class, e -> {
                    assertThat(e.kind()).isEqualTo(PyroException.Kind.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).startsWith("'" + text + "' is not a valid OCI reference: ")
                            .contains(why)
                            .endsWith("; write it as REGISTRY/REPOSITORY:TAG[@sha256:DIGEST], e.g."
                                    + " registry.example:5000/pyro/debian:12")
                            .doesNotContain("\n");
                });
    }
}
