package dev.pyro.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.HostAccess;
import dev.pyro.PyroException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code pyro mcp serve} lets its tools reach, from its flags and the directory it starts in. */
class McpServeTest {
    @TempDir
    Path tmp;

    private McpServe.Options options(boolean hostCompat, Path... allow) {
        return new McpServe.Options(Profile.DEFAULT, McpServe.Transport.STDIO, "127.0.0.1", 0, hostCompat,
                List.of(allow), Optional.empty(), List.of(), List.of());
    }

    @Test
    void theStartDirectoryIsTheProjectAndAllowedPathsAreAdded() throws Exception {
        Path project = Files.createDirectories(tmp.resolve("home/me/project")).toRealPath();
        Path data = Files.createDirectories(tmp.resolve("data")).toRealPath();
        HostAccess access = McpServe.hostAccess(options(false, data, Path.of("sub/..")), project, tmp.resolve("home/me"));
        assertThat(access.isConfined()).isTrue();
        assertThat(access.roots()).containsExactly(project, data);
        assertThat(access.base()).isEqualTo(project);
        assertThat(access.hostCompatAllowed()).isFalse();
        assertThat(McpServe.hostAccess(options(true), project, tmp.resolve("home/me")).hostCompatAllowed()).isTrue();
    }

    @Test
    void aStartDirectoryThatOpensTooMuchIsNotTheProject() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home/me")).toRealPath();
        Path project = Files.createDirectories(home.resolve("project")).toRealPath();
        for (Path start : new Path[] {home, home.getParent(), Path.of("/")}) {
            assertThatThrownBy(() -> McpServe.hostAccess(options(false), start, home)).as(start.toString())
                    .isInstanceOfSatisfying(PyroException.class,
                            e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.INVALID_ARGUMENT))
                    .hasMessageContaining("pyro mcp serve was started in " + start)
                    .hasMessageContaining("--allow-path DIR");
            HostAccess access = McpServe.hostAccess(options(false, project), start, home);
            assertThat(access.roots()).as(start.toString()).containsExactly(project);
            assertThat(access.base()).isEqualTo(project);
        }
        assertThatThrownBy(() -> McpServe.hostAccess(options(false), Path.of("/"), home))
                .hasMessageContaining("anywhere on this host");
        assertThatThrownBy(() -> McpServe.hostAccess(options(false), home, home))
                .hasMessageContaining("the whole home directory (~/.ssh included)");
    }
}
