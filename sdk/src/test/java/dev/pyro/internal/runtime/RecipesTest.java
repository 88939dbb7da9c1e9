package dev.pyro.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.PyroException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecipesTest {
    @TempDir
    Path dir;

    @Test
    void packagedKernelPinMatchesDebian() {
        KernelSource source = Recipes.fromClasspath().kernelSource();
        assertThat(source.packageName()).isEqualTo("linux-source-6.1");
        assertThat(source.version()).isEqualTo("6.1.192-2");
        assertThat(source.filename()).isEqualTo("linux-source-6.1_6.1.192-2_all.deb");
        assertThat(source.sha256()).isEqualTo("ae95fe63d4c553f8d0e6c86cb1ab566f3894a43743eb19ab585cd97d82f26514");
        assertThat(source.tarball()).isEqualTo("usr/src/linux-source-6.1.tar.xz");
    }

    @Test
    void packagedFragmentKeepsTheMicroVmOptionsAndNamesTheKernel() {
        KernelFragment fragment = Recipes.fromClasspath().kernelFragment();
        assertThat(fragment.options()).containsEntry("BLOCK", "y").containsEntry("EXT4_FS", "y")
                .containsEntry("VIRTIO_MMIO_CMDLINE_DEVICES", "y").containsEntry("RANDOMIZE_BASE", "n")
                .containsEntry("LOCALVERSION", "\"-pyro\"").containsEntry("LOCALVERSION_AUTO", "n");
    }

    @Test
    void packagedBaseEnvironment() {
        EnvironmentRecipe env = Recipes.fromClasspath().environment("debian:12-base");
        assertThat(env.description()).isEqualTo("Minimal Debian 12 for shell and core Unix tools.");
        assertThat(env.directory()).isEqualTo("debian-12-base");
        assertThat(env.base().suite()).isEqualTo("bookworm");
        assertThat(env.base().variant()).isEqualTo("minbase");
        assertThat(env.base().packages()).containsExactly("procps");
        assertThat(env.base().hooks()).containsExactly("merged-usr");
        assertThat(env.image().hostname()).isEqualTo("pyro");
    }

    @Test
    void unknownEnvironmentListsTheKnownOnes() {
        assertThatThrownBy(() -> Recipes.fromClasspath().environment("debian:13"))
                .isInstanceOfSatisfying(PyroException.class, e -> {
                    assertThat(e.kind()).isEqualTo(PyroException.Kind.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).isEqualTo("unknown environment 'debian:13'; known environments: "
                            + "debian:12, debian:12-base, debian:12-build");
                });
    }

    @Test
    void packagedCatalogHasThreeEnvironmentsWithSecurityUpdates() {
        Recipes recipes = Recipes.fromClasspath();
        assertThat(recipes.environments()).extracting(EnvironmentRecipe::name)
                .containsExactly("debian:12", "debian:12-base", "debian:12-build");
        assertThat(recipes.environment("debian:12").base().packages())
                .containsExactly("procps", "git", "ca-certificates", "curl");
        assertThat(recipes.environment("debian:12-build").base().packages())
                .containsExactly("procps", "git", "ca-certificates", "curl", "build-essential", "make", "pkg-config",
                        "python3");
        for (EnvironmentRecipe env : recipes.environments()) {
            assertThat(env.base().extraSuites()).as(env.name()).containsExactly("bookworm-updates", "bookworm-security");
        }
    }

    @Test
    void extraSuitesBecomeDebLinesWithTheSecurityArchive() throws Exception {
        EnvironmentRecipe env = Recipes.fromClasspath().environment("debian:12");
        Path apt = Files.createDirectories(dir.resolve("apt"));
        assertThat(DebianMirror.sources(java.util.Optional.of("http://mirror.example/debian"), env.base(), apt))
                .containsExactly("deb http://mirror.example/debian bookworm main",
                        "deb http://mirror.example/debian bookworm-updates main",
                        "deb http://deb.debian.org/debian-security bookworm-security main");
        Files.writeString(apt.resolve("sources.list"), "deb http://local/debian bookworm main\n"
                + "deb http://local/debian bookworm-updates main\n"
                + "deb http://local/security bookworm-security main\n");
        assertThat(DebianMirror.sources(java.util.Optional.empty(), env.base(), apt))
                .containsExactly("deb http://local/debian bookworm main", "deb http://local/debian bookworm-updates main",
                        "deb http://local/security bookworm-security main");
    }

    @Test
    void aNewEnvironmentIsJustANewRecipeDirectory() throws Exception {
        Path root = TestRecipes.copyWithAgent(dir.resolve("recipes"), "int main(void) { return 0; }\n");
        Path env = root.resolve("environments/debian-12-tools");
        Files.createDirectories(env);
        Files.writeString(env.resolve("environment.json"), Files.readString(
                root.resolve("environments/debian-12-base/environment.json"))
                .replace("\"debian:12-base\"", "\"debian:12-tools\"")
                .replace("Minimal Debian 12 for shell and core Unix tools.", "Debian 12 with jq."));
        Files.writeString(env.resolve("packages.txt"), "jq\nca-certificates # for downloads\n");
        Recipes recipes = Recipes.fromDirectory(root);
        assertThat(recipes.environments()).extracting(EnvironmentRecipe::name)
                .containsExactly("debian:12", "debian:12-base", "debian:12-build", "debian:12-tools");
        assertThat(recipes.environment("debian:12-tools").base().packages()).containsExactly("jq", "ca-certificates");
        assertThat(BaseTreeBuilder.key(recipes.environment("debian:12-tools")).id())
                .isNotEqualTo(BaseTreeBuilder.key(recipes.environment("debian:12-base")).id());
    }

    @Test
    void brokenRecipesAreReportedWithTheirFile() throws Exception {
        Path root = TestRecipes.copyWithAgent(dir.resolve("recipes"), "x");
        Files.writeString(root.resolve("environments/debian-12-base/packages.txt"), "procps\nNot_A_Package\n");
        assertThatThrownBy(() -> Recipes.fromDirectory(root).environments())
                .isInstanceOf(PyroException.class)
                .hasMessageContaining("environments/debian-12-base/packages.txt line 2: not a package name");

        Files.writeString(root.resolve("environments/debian-12-base/packages.txt"), "procps\n");
        String json = Files.readString(root.resolve("environments/debian-12-base/environment.json"));
        Files.writeString(root.resolve("environments/debian-12-base/environment.json"),
                json.replace("\"/var/log/*\"", "\"/var/*/x\""));
        assertThatThrownBy(() -> Recipes.fromDirectory(root).environments())
                .hasMessageContaining("bad image.remove path /var/*/x");
    }

    @Test
    void agentSourcesSkipBuildOutputsAndHashByContent() throws Exception {
        Path a = TestRecipes.copyWithAgent(dir.resolve("a"), "int main(void) { return 0; }\n");
        Path b = TestRecipes.copyWithAgent(dir.resolve("b"), "int main(void) { return 0; }\n");
        // A binary left by a developer's make and a dependency file must not count as sources.
        Files.write(b.resolve("agent/pyro-agent"), new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
        Files.writeString(b.resolve("agent/main.d"), "main.o: main.c\n");
        AgentSources sa = Recipes.fromDirectory(a).agentSources();
        AgentSources sb = Recipes.fromDirectory(b).agentSources();
        assertThat(sb.files()).extracting(AgentSources.SourceFile::path).containsExactly("main.c");
        assertThat(sa.sha256()).isEqualTo(sb.sha256());
        Files.writeString(b.resolve("agent/main.c"), "int main(void) { return 1; }\n");
        assertThat(Recipes.fromDirectory(b).agentSources().sha256()).isNotEqualTo(sa.sha256());
    }

    @Test
    void packagedAgentSourcesAreFound() {
        // The agent is owned by another worktree; until it is merged, the packaged tree may lack it.
        AgentSources sources = Recipes.fromClasspath().agentSources();
        if (!sources.isEmpty()) {
            assertThat(sources.files()).extracting(AgentSources.SourceFile::path).contains("Makefile");
        }
    }

    @Test
    void recipesAreReadFromAJarToo() throws Exception {
        Path jar = dir.resolve("sdk.jar");
        Path packaged = TestRecipes.packaged();
        Path classpathRoot = packaged.getParent().getParent().getParent().getParent();
        try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(jar));
                var walk = Files.walk(packaged)) {
            for (Path file : walk.filter(Files::isRegularFile).toList()) {
                out.putNextEntry(new java.util.zip.ZipEntry(classpathRoot.relativize(file).toString()));
                out.write(Files.readAllBytes(file));
                out.closeEntry();
            }
        }
        try (var loader = new java.net.URLClassLoader(new java.net.URL[] {jar.toUri().toURL()}, null)) {
            Recipes fromJar = Recipes.fromClassLoader(loader);
            assertThat(fromJar.root().getFileSystem()).isNotEqualTo(java.nio.file.FileSystems.getDefault());
            assertThat(fromJar.environment("debian:12-base").base().packages()).containsExactly("procps");
            assertThat(fromJar.kernelFragment().sha256()).isEqualTo(Recipes.fromClasspath().kernelFragment().sha256());
            assertThat(fromJar.agentSources().sha256()).isEqualTo(Recipes.fromClasspath().agentSources().sha256());
        }
    }
}
