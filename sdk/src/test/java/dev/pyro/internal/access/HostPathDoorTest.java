package dev.pyro.internal.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.HostAccess;
import dev.pyro.HostAccessDeniedException;
import dev.pyro.PyroException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host-path door on a real tree with real symlinks: a project and an extra root, and an
 * outside directory with a secret that no path may reach, however it is spelt.
 */
class HostPathDoorTest {
    @TempDir
    Path tmp;
    Path project;
    Path extra;
    Path outside;
    HostPathDoor door;

    @BeforeEach
    void setUp() throws Exception {
        tmp = tmp.toRealPath();
        project = Files.createDirectories(tmp.resolve("proj"));
        extra = Files.createDirectories(tmp.resolve("extra"));
        outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "secret");
        Files.createDirectories(project.resolve("sub/inner"));
        Files.writeString(project.resolve("sub/a.txt"), "a");
        Files.writeString(extra.resolve("e.txt"), "e");
        door = new HostPathDoor(HostAccess.confined(project).allowPath(extra).build());
    }

    private void refused(Path raw, String... inMessage) {
        assertThatThrownBy(() -> door.readable(raw, "seed path"))
                .isInstanceOfSatisfying(HostAccessDeniedException.class, e -> {
                    assertThat(e.kind()).isEqualTo(PyroException.Kind.NOT_PERMITTED);
                    assertThat(e.door()).isEqualTo(HostAccess.Door.HOST_PATHS);
                    assertThat(e.allowedRoots()).containsExactly(project, extra);
                })
                .hasMessageContaining(project + ", " + extra)
                .hasMessageContaining(inMessage.length == 0 ? "" : inMessage[0]);
    }

    @Test
    void pathsInsideTheRootsResolveAndRelativeOnesAgainstTheProject() {
        assertThat(door.readable(Path.of("sub/a.txt"), "seed path")).isEqualTo(project.resolve("sub/a.txt"));
        assertThat(door.readable(project, "seed path")).isEqualTo(project);
        assertThat(door.readable(extra.resolve("e.txt"), "seed path")).isEqualTo(extra.resolve("e.txt"));
        assertThat(door.readable(Path.of("sub/inner/../a.txt"), "seed path")).isEqualTo(project.resolve("sub/a.txt"));
    }

    @Test
    void pathsOutsideTheRootsAreRefusedNamingTheRoots() {
        refused(outside.resolve("secret"), "is outside the allowed roots");
        refused(Path.of("../outside/secret"), "is outside the allowed roots");
        refused(Path.of("/etc/passwd"), "is outside the allowed roots");
        refused(tmp, "is outside the allowed roots"); // an ancestor holds more than the roots
        refused(Path.of("/"), "is outside the allowed roots");
    }

    @Test
    void symlinksAreFollowedOnlyWhileTheyStayInside() throws Exception {
        Files.createSymbolicLink(project.resolve("ok"), Path.of("sub"));
        Files.createSymbolicLink(project.resolve("to-extra"), Path.of("../extra"));
        Files.createSymbolicLink(project.resolve("abs-inside"), project.resolve("sub/a.txt"));
        assertThat(door.readable(Path.of("ok/a.txt"), "seed path")).isEqualTo(project.resolve("sub/a.txt"));
        assertThat(door.readable(Path.of("to-extra/e.txt"), "seed path")).isEqualTo(extra.resolve("e.txt"));
        assertThat(door.readable(Path.of("abs-inside"), "seed path")).isEqualTo(project.resolve("sub/a.txt"));

        Files.createSymbolicLink(project.resolve("evil"), Path.of("../outside"));
        Files.createSymbolicLink(project.resolve("evil-abs"), outside);
        Files.createSymbolicLink(project.resolve("sub/up"), Path.of("../../outside/secret"));
        Files.createSymbolicLink(project.resolve("climb"), Path.of("sub/inner/../../.."));
        Files.createSymbolicLink(project.resolve("etc"), Path.of("/etc"));
        refused(Path.of("evil/secret"), "leads through the symlink " + project.resolve("evil"));
        refused(Path.of("evil"), "leads through the symlink");
        refused(Path.of("evil-abs/secret"), "leads through the symlink");
        refused(Path.of("sub/up"), "leads through the symlink " + project.resolve("sub/up"));
        refused(Path.of("climb"), "is outside the allowed roots"); // ends in the projects's parent
        refused(Path.of("etc/passwd"), "leads through the symlink");
    }

    @Test
    void aProjectNamedThroughASymlinkIsItsRealDirectory() throws Exception {
        Path alias = Files.createSymbolicLink(tmp.resolve("alias"), Path.of("proj"));
        HostPathDoor viaAlias = new HostPathDoor(HostAccess.confined(alias).build());
        assertThat(viaAlias.readable(Path.of("sub/a.txt"), "seed path")).isEqualTo(project.resolve("sub/a.txt"));
        assertThat(viaAlias.readable(alias.resolve("sub/a.txt"), "seed path")).isEqualTo(project.resolve("sub/a.txt"));
    }

    @Test
    void missingPathsAndLoopsAreBadInputNotDenials() throws Exception {
        assertThatThrownBy(() -> door.readable(Path.of("nope"), "seed path"))
                .isInstanceOfSatisfying(PyroException.class,
                        e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.NOT_FOUND))
                .hasMessageContaining("seed path " + project.resolve("nope") + " does not exist");
        assertThatThrownBy(() -> door.readable(Path.of("sub/a.txt/x"), "seed path"))
                .isInstanceOfSatisfying(PyroException.class,
                        e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.NOT_FOUND));
        Files.createSymbolicLink(project.resolve("loop"), Path.of("loop"));
        assertThatThrownBy(() -> door.readable(Path.of("loop"), "seed path"))
                .isInstanceOfSatisfying(PyroException.class,
                        e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.INVALID_ARGUMENT))
                .hasMessageContaining("more than 40 symlinks");
    }

    @Test
    void anOutputMustBeCreatedInADirectoryInsideTheRoots() throws Exception {
        assertThat(door.creatable(Path.of("new.txt"), "output path")).isEqualTo(project.resolve("new.txt"));
        assertThat(door.creatable(extra.resolve("n"), "output path")).isEqualTo(extra.resolve("n"));
        Files.createSymbolicLink(project.resolve("out"), Path.of("../outside"));
        Files.createSymbolicLink(project.resolve("in"), Path.of("sub"));
        assertThat(door.creatable(Path.of("in/n"), "output path")).isEqualTo(project.resolve("sub/n"));
        for (Path bad : new Path[] {outside.resolve("x"), Path.of("out/x"), Path.of("/etc/cron.d/x"), project,
                Path.of("/")}) {
            assertThatThrownBy(() -> door.creatable(bad, "output path")).as(bad.toString())
                    .isInstanceOf(HostAccessDeniedException.class)
                    .hasMessageStartingWith("output path " + project.resolve(bad).normalize() + " ")
                    .hasMessageContaining("allowed roots (" + project + ", " + extra + "); nothing was written");
        }
        assertThatThrownBy(() -> door.creatable(Path.of("no/such/x"), "output path"))
                .hasMessageContaining("does not exist; create it first");
        assertThat(outside.resolve("x")).doesNotExist();
        try (var list = Files.list(outside)) {
            assertThat(list.map(p -> p.getFileName().toString())).containsExactly("secret");
        }
    }

    @Test
    void unrestrictedAccessOnlyMakesPathsAbsolute() {
        HostPathDoor free = new HostPathDoor(HostAccess.unrestricted());
        assertThat(free.readable(outside.resolve("secret"), "seed path")).isEqualTo(outside.resolve("secret"));
        assertThat(free.readable(Path.of("x/../y"), "seed path")).isEqualTo(Path.of("y").toAbsolutePath());
        assertThat(free.creatable(Path.of("/etc/cron.d/x"), "output path")).isEqualTo(Path.of("/etc/cron.d/x"));
    }

    @Test
    void rootsMustBeExistingDirectories() throws Exception {
        assertThatThrownBy(() -> HostAccess.confined(tmp.resolve("none")).build())
                .isInstanceOfSatisfying(PyroException.class,
                        e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.INVALID_ARGUMENT))
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> HostAccess.confined(project).allowPath(outside.resolve("secret")).build())
                .hasMessageContaining("is not a directory");
        assertThat(HostAccess.confined(project).allowPath(project).allowPath(Path.of("sub")).build().roots())
                .containsExactly(project, project.resolve("sub"));
    }
}
