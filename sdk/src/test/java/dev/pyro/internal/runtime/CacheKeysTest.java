package dev.pyro.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheKeysTest {
    @TempDir
    Path dir;

    @Test
    void keyIsStableAndDependsOnEveryInput() {
        CacheKey a = CacheKey.builder("x/1").add("a", "1").add("b", java.util.List.of("p", "q"));
        CacheKey same = CacheKey.builder("x/1").add("a", "1").add("b", java.util.List.of("p", "q"));
        assertThat(a.id()).isEqualTo(same.id()).hasSize(16).matches("[0-9a-f]{16}");
        assertThat(a.canonical()).isEqualTo("builder=x/1\na=1\nb=p,q\n");
        assertThat(CacheKey.builder("x/2").add("a", "1").add("b", java.util.List.of("p", "q")).id()).isNotEqualTo(a.id());
        assertThat(CacheKey.builder("x/1").add("a", "1").add("b", java.util.List.of("p,q")).id()).isNotEqualTo(a.id());
        assertThat(CacheKey.builder("x/1").add("a", "1\nb=p").id()).isNotEqualTo(
                CacheKey.builder("x/1").add("a", "1").add("b", "p").id());
    }

    @Test
    void kernelKeyFollowsSourceAndFragmentNotPaths() throws Exception {
        Path one = TestRecipes.copyWithAgent(dir.resolve("clone-one"), "x");
        Path two = TestRecipes.copyWithAgent(dir.resolve("clone-two"), "x");
        Recipes r1 = Recipes.fromDirectory(one);
        Recipes r2 = Recipes.fromDirectory(two);
        String k1 = KernelBuilder.key(r1.kernelSource(), r1.kernelFragment()).id();
        assertThat(KernelBuilder.key(r2.kernelSource(), r2.kernelFragment()).id()).isEqualTo(k1);

        Files.writeString(two.resolve("kernel/microvm.config"),
                Files.readString(two.resolve("kernel/microvm.config")) + "CONFIG_PRINTK_TIME=y\n");
        Recipes changed = Recipes.fromDirectory(two);
        assertThat(KernelBuilder.key(changed.kernelSource(), changed.kernelFragment()).id()).isNotEqualTo(k1);
        KernelSource other = r1.kernelSource().withVersion("6.1.192-1", "a".repeat(64));
        assertThat(other.filename()).isEqualTo("linux-source-6.1_6.1.192-1_all.deb");
        assertThat(KernelBuilder.key(other, r1.kernelFragment()).id()).isNotEqualTo(k1);
    }

    @Test
    void anAgentChangeRebuildsTheImageButNotTheBaseTree() {
        EnvironmentRecipe env = Recipes.fromClasspath().environment("debian:12-base");
        String base = BaseTreeBuilder.key(env).id();
        String imageA = RootfsBuilder.key(env, "a".repeat(64)).id();
        String imageB = RootfsBuilder.key(env, "b".repeat(64)).id();
        assertThat(imageA).isNotEqualTo(imageB);
        assertThat(RootfsBuilder.key(env, "a".repeat(64)).canonical()).contains("base_key=" + base);
    }

    @Test
    void packageOrderDoesNotChangeTheBaseKey() {
        EnvironmentRecipe env = Recipes.fromClasspath().environment("debian:12-base");
        EnvironmentRecipe.Base b = env.base();
        EnvironmentRecipe ab = withPackages(env, java.util.List.of("a", "b"));
        EnvironmentRecipe ba = withPackages(env, java.util.List.of("b", "a"));
        assertThat(BaseTreeBuilder.key(ab).id()).isEqualTo(BaseTreeBuilder.key(ba).id())
                .isNotEqualTo(BaseTreeBuilder.key(env).id());
        assertThat(RootfsBuilder.packagesSha256(java.util.List.of("b", "a")))
                .isEqualTo(RootfsBuilder.packagesSha256(java.util.List.of("a", "b")))
                .isEqualTo(Hashes.sha256("a\nb\n"));
        assertThat(b.packages()).isNotEmpty();
    }

    private static EnvironmentRecipe withPackages(EnvironmentRecipe env, java.util.List<String> packages) {
        EnvironmentRecipe.Base b = env.base();
        return new EnvironmentRecipe(env.name(), env.description(), env.version(), env.directory(),
                new EnvironmentRecipe.Base(b.distribution(), b.suite(), b.variant(), b.components(), packages,
                        b.dpkgPathExclude(), b.dpkgPathInclude(), b.hooks(), b.extraSuites()), env.image());
    }
}
