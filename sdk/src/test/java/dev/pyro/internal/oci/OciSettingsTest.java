package dev.pyro.internal.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OciSettingsTest {
    @TempDir
    Path home;

    @Test
    void defaults() {
        OciSettings s = OciSettings.fromEnvironment(Map.of(), home);
        assertThat(s.registry()).isEmpty();
        assertThat(s.insecure()).isFalse();
        assertThat(s.credentials()).isEmpty();
        assertThat(s.requestTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.uploadTimeout()).isEqualTo(Duration.ofSeconds(600));
        assertThat(s.chunkSize()).isEqualTo(16 << 20);
        assertThat(s.dockerConfig()).isEqualTo(home.resolve(".docker/config.json"));
        assertThat(s.plainHttpAllowed(ImageReference.parse("127.0.0.1:5000/a:b"))).isTrue();
        assertThat(s.plainHttpAllowed(ImageReference.parse("registry.example/a:b"))).isFalse();
    }

    @Test
    void variables() {
        OciSettings s = OciSettings.fromEnvironment(Map.of("PYRO_REGISTRY", "registry.example:5000/pyro/",
                "PYRO_REGISTRY_INSECURE", "1", "PYRO_REGISTRY_USERNAME", "u", "PYRO_REGISTRY_PASSWORD", "p w",
                "PYRO_OCI_REQUEST_TIMEOUT_SECONDS", "5", "PYRO_OCI_UPLOAD_TIMEOUT_SECONDS", "50",
                "PYRO_OCI_UPLOAD_CHUNK_SIZE_BYTES", "1048576", "DOCKER_CONFIG", "/etc/dock"), home);
        assertThat(s.registry()).contains("registry.example:5000/pyro");
        assertThat(s.plainHttpAllowed(ImageReference.parse("registry.example/a:b"))).isTrue();
        assertThat(s.credentialsFor("anything")).get().extracting(Credentials::username, Credentials::password)
                .containsExactly("u", "p w");
        assertThat(s.credentials().orElseThrow().toString()).doesNotContain("p w");
        assertThat(s.requestTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.uploadTimeout()).isEqualTo(Duration.ofSeconds(50));
        assertThat(s.chunkSize()).isEqualTo(1 << 20);
        assertThat(s.dockerConfig()).isEqualTo(Path.of("/etc/dock/config.json"));
    }

    @Test
    void malformedValuesNameTheVariable() {
        assertThatThrownBy(() -> OciSettings.fromEnvironment(Map.of("PYRO_REGISTRY", "https://r.example/pyro"), home))
                .hasMessage("PYRO_REGISTRY='https://r.example/pyro' is not a registry with an optional repository"
                        + " prefix; set it like registry.example:5000/pyro (no scheme)");
        assertThatThrownBy(() -> OciSettings.fromEnvironment(Map.of("PYRO_REGISTRY", "pyro"), home))
                .hasMessageStartingWith("PYRO_REGISTRY='pyro' is not a registry");
        assertThatThrownBy(() -> OciSettings.fromEnvironment(Map.of("PYRO_REGISTRY", "r.example/Pyro"), home))
                .hasMessageStartingWith("PYRO_REGISTRY='r.example/Pyro' is not a valid registry prefix");
        assertThatThrownBy(() -> OciSettings.fromEnvironment(Map.of("PYRO_REGISTRY_INSECURE", "yes"), home))
                .hasMessage("PYRO_REGISTRY_INSECURE='yes' must be 1 or 0");
        assertThatThrownBy(() -> OciSettings.fromEnvironment(Map.of("PYRO_REGISTRY_USERNAME", "u"), home))
                .hasMessage("PYRO_REGISTRY_PASSWORD is not set but PYRO_REGISTRY_USERNAME is; set both or neither");
        assertThatThrownBy(() -> OciSettings.fromEnvironment(Map.of("PYRO_OCI_UPLOAD_CHUNK_SIZE_BYTES", "10"), home))
                .hasMessage("PYRO_OCI_UPLOAD_CHUNK_SIZE_BYTES='10' must be a whole number from 65536 to 1073741824;"
                        + " unset it for the default 16777216");
        assertThatThrownBy(() -> OciSettings.fromEnvironment(Map.of("PYRO_OCI_REQUEST_TIMEOUT_SECONDS", "x"), home))
                .hasMessageStartingWith("PYRO_OCI_REQUEST_TIMEOUT_SECONDS='x' must be a whole number");
    }

    @Test
    void dockerConfigLogins() throws Exception {
        String auth = Base64.getEncoder().encodeToString("alice:pa:ss".getBytes(StandardCharsets.UTF_8));
        byte[] json = ("{\"auths\":{"
                + "\"https://index.docker.io/v1/\":{\"auth\":\"" + Base64.getEncoder().encodeToString(
                        "hub:tok".getBytes(StandardCharsets.UTF_8)) + "\"},"
                + "\"registry.example:5000\":{\"auth\":\"" + auth + "\"},"
                + "\"https://other.example/v2/\":{\"username\":\"bob\",\"password\":\"pw\"},"
                + "\"broken.example\":{\"auth\":\"%%%\"}},"
                + "\"credsStore\":\"desktop\"}").getBytes(StandardCharsets.UTF_8);
        assertThat(DockerConfig.lookup(json, "registry.example:5000", "f")).get()
                .extracting(Credentials::username, Credentials::password).containsExactly("alice", "pa:ss");
        assertThat(DockerConfig.lookup(json, "other.example", "f")).get()
                .extracting(Credentials::username).isEqualTo("bob");
        assertThat(DockerConfig.lookup(json, "docker.io", "f")).get().extracting(Credentials::username).isEqualTo("hub");
        assertThat(DockerConfig.lookup(json, "registry.example", "f")).isEmpty();
        assertThat(DockerConfig.lookup(json, "broken.example", "f")).isEmpty();
        assertThat(DockerConfig.lookup("not json".getBytes(StandardCharsets.UTF_8), "x", "f")).isEmpty();
        assertThat(DockerConfig.lookup("{}".getBytes(StandardCharsets.UTF_8), "x", "f")).isEmpty();

        Path file = home.resolve(".docker/config.json");
        Files.createDirectories(file.getParent());
        Files.write(file, json);
        OciSettings s = OciSettings.fromEnvironment(Map.of(), home);
        assertThat(s.credentialsFor("registry.example:5000")).get().extracting(Credentials::source)
                .isEqualTo(file + " (docker login)");
        assertThat(s.credentialsFor("nowhere.example")).isEmpty();
    }
}
