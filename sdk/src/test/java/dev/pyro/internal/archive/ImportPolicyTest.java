package dev.pyro.internal.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ImportPolicyTest {
    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String path(String p) {
        return ImportPolicy.pathRule(b(p));
    }

    @Test
    void validPaths() {
        for (String p : new String[] {"a", "a/b/c", "café/日本語", ".hidden", "..a", "a..", "...", "x".repeat(255)}) {
            assertThat(path(p)).as(p).isNull();
        }
        assertThat(ImportPolicy.pathRule(new byte[] {'a', (byte) 0xff, '/', (byte) 0xfe})).isNull();
    }

    @Test
    void invalidPathsNameTheRule() {
        assertThat(path("")).isEqualTo("empty name");
        assertThat(path("/etc/passwd")).startsWith("absolute name");
        assertThat(path("../x")).isEqualTo("'..' escapes the destination");
        assertThat(path("a/../../x")).isEqualTo("'..' escapes the destination");
        assertThat(path("a/../x")).startsWith("'..' component");
        assertThat(path("a/..")).startsWith("'..' component");
        assertThat(path("a//b")).startsWith("empty name component");
        assertThat(path("a/")).startsWith("empty name component");
        assertThat(path("./a")).isEqualTo("'.' component");
        assertThat(path("a/./b")).isEqualTo("'.' component");
        assertThat(path("x".repeat(256))).contains("255 bytes");
        assertThat(path(("y".repeat(200) + "/").repeat(20) + "z")).contains("4000 bytes");
        assertThat(ImportPolicy.pathRule(new byte[] {'a', 0, 'b'})).contains("NUL");
    }

    @Test
    void archiveNamesAreNormalizedButNotMadeSafe() {
        assertThat(norm("./a//b/")).isEqualTo("a/b");
        assertThat(norm("./")).isEmpty();
        assertThat(norm(".")).isEmpty();
        assertThat(norm("/etc/./passwd")).isEqualTo("/etc/passwd");
        assertThat(norm("//etc")).isEqualTo("/etc");
        assertThat(norm("./../x")).isEqualTo("../x");
        assertThat(norm("a/./../../x")).isEqualTo("a/../../x");
    }

    static String norm(String s) {
        return new String(ImportPolicy.normalizeArchiveName(b(s)), StandardCharsets.UTF_8);
    }

    @Test
    void symlinkTargets() {
        // a link at depth 1 (e.g. "l"): no '..' at all
        assertThat(ImportPolicy.symlinkTargetRule(b("x"), 1)).isNull();
        assertThat(ImportPolicy.symlinkTargetRule(b("."), 1)).isNull();
        assertThat(ImportPolicy.symlinkTargetRule(b("./a//b/"), 1)).isNull();
        assertThat(ImportPolicy.symlinkTargetRule(b(".."), 1)).contains("leads outside");
        // a link at a/b/l (depth 3) may climb two levels: a/b -> a -> the destination
        assertThat(ImportPolicy.symlinkTargetRule(b("../../x"), 3)).isNull();
        assertThat(ImportPolicy.symlinkTargetRule(b("../../../x"), 3)).contains("leads outside");
        assertThat(ImportPolicy.symlinkTargetRule(b("./../x"), 2)).isNull();
        assertThat(ImportPolicy.symlinkTargetRule(b("a/../b"), 3)).contains("'..' after a name");
        assertThat(ImportPolicy.symlinkTargetRule(b("/etc"), 5)).contains("absolute path");
        assertThat(ImportPolicy.symlinkTargetRule(b(""), 5)).contains("empty");
        assertThat(ImportPolicy.symlinkTargetRule(new byte[] {'a', 0}, 5)).contains("NUL");
        assertThat(ImportPolicy.symlinkTargetRule(b("x".repeat(4001)), 5)).contains("4000");
    }

    @Test
    void setuidSetgidAndStickyAreStripped() {
        assertThat(ImportPolicy.keptMode(04755)).isEqualTo(0755);
        assertThat(ImportPolicy.keptMode(02775)).isEqualTo(0775);
        assertThat(ImportPolicy.keptMode(01777)).isEqualTo(0777);
    }
}
