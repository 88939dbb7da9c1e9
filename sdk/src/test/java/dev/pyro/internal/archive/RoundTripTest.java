package dev.pyro.internal.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.ProgressEvent;
import dev.pyro.ProgressListener;
import dev.pyro.PyroException;
import dev.pyro.TransferResult;
import dev.pyro.WorkspaceSeed;
import dev.pyro.testsupport.SampleTree;
import dev.pyro.testsupport.StdioAgent;
import dev.pyro.testsupport.TreeSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 1,000-file tree (nested and empty directories, symlinks, a hardlink, exec bits, Unicode and
 * non-UTF-8 names, a 0-byte and a 5 MB file) seeded into the real agent and into a host-compat
 * workspace, compared with the source by full listing (type, mode, size, link target, times)
 * and sha256 of every file, then exported back and compared again. The same tree as .tar
 * (GNU format), .tar.gz (PAX) and .tgz made by GNU tar.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RoundTripTest {
    @TempDir
    static Path shared;
    @TempDir
    Path tmp;

    static Path src;
    static SampleTree.Stats stats;

    @BeforeAll
    static void makeTree() throws IOException {
        src = shared.resolve("src");
        stats = SampleTree.create(src, 1000, 42);
    }

    static final Predicate<String> NOTHING = n -> false;

    static Map<String, String> listing(Path root, boolean times) {
        return TreeSnapshot.of(root, times, NOTHING);
    }

    /** Only the differences, so a failure is readable. */
    static Map<String, String> diff(Map<String, String> actual, Map<String, String> expected) {
        Map<String, String> d = new java.util.TreeMap<>();
        for (String k : actual.keySet()) {
            if (!expected.containsKey(k)) {
                d.put(k, "extra: " + actual.get(k));
            } else if (!expected.get(k).equals(actual.get(k))) {
                d.put(k, "is " + actual.get(k) + " want " + expected.get(k));
            }
        }
        for (String k : expected.keySet()) {
            if (!actual.containsKey(k)) {
                d.put(k, "missing: " + expected.get(k));
            }
        }
        return d;
    }

    @Test
    void seedAndExportThroughTheAgent() throws Exception {
        Path ws = tmp.resolve("ws");
        List<ProgressEvent> events = new CopyOnWriteArrayList<>();
        try (StdioAgent agent = StdioAgent.start(ws, tmp.resolve("agent.log"))) {
            WorkspaceFiles files = Transfers.guest(agent.client());
            TransferStats seeded = Transfers.seed(files, src, ImportCaps.defaults(), events::add);
            check(seeded, ws);
            assertThat(events).isNotEmpty().allSatisfy(e -> assertThat(e.task()).isEqualTo("seed"));
            assertThat(events.get(events.size() - 1).done()).isEqualTo(stats.bytes());
            assertThat(events.get(events.size() - 1).total()).isEqualTo(stats.bytes());
            exportBack(files, tmp.resolve("out"));
        }
    }

    @Test
    void seedAndExportInAHostCompatWorkspace() throws Exception {
        Path ws = tmp.resolve("ws");
        Files.createDirectories(ws);
        WorkspaceFiles files = Transfers.host(ws);
        check(Transfers.seed(files, src, ImportCaps.defaults(), ProgressListener.NONE), ws);
        assertThat(tmp.resolve("ws.pyro-sync")).doesNotExist();
        exportBack(files, tmp.resolve("out"));
    }

    private void check(TransferStats seeded, Path ws) throws IOException {
        assertThat(diff(listing(ws, true), listing(src, true))).isEmpty();
        assertThat(listing(ws, true)).hasSizeGreaterThan(1050);
        assertThat(Files.getAttribute(ws.resolve("links/hard-b"), "unix:ino"))
                .isEqualTo(Files.getAttribute(ws.resolve("links/hard-a"), "unix:ino"));
        assertThat(seeded.bytes()).isEqualTo(stats.bytes());
        assertThat(seeded.entries()).isEqualTo(listing(src, false).size() - 1); // all but the root
        WorkspaceSeed seed = seeded.toSeed();
        assertThat(seed.mode()).isEqualTo(WorkspaceSeed.Mode.DIRECTORY);
        assertThat(seed.sourcePath()).contains(src.toString());
        assertThat(seed.destination()).isEqualTo("/workspace");
    }

    private void exportBack(WorkspaceFiles files, Path out) throws IOException {
        TransferStats exported = Transfers.export(files, "/workspace", out, ImportCaps.defaults(),
                ProgressListener.NONE);
        assertThat(exported.artifactType()).isEqualTo(TransferResult.ArtifactType.DIRECTORY);
        Map<String, String> back = listing(out, true);
        Map<String, String> orig = listing(src, true);
        assertThat(diff(back, orig)).isEmpty();
        assertThat(exported.bytes()).isEqualTo(stats.bytes()); // the hardlink pair's bytes come once
        assertThat(Files.getAttribute(out.resolve("links/hard-b"), "unix:ino"))
                .isEqualTo(Files.getAttribute(out.resolve("links/hard-a"), "unix:ino"));
        // a single file and a symlink as the root
        Path one = out.resolveSibling(out.getFileName() + "-file");
        TransferStats file = Transfers.export(files, "big-5mb.bin", one, ImportCaps.defaults(), ProgressListener.NONE);
        assertThat(file.artifactType()).isEqualTo(TransferResult.ArtifactType.FILE);
        assertThat(TreeSnapshot.sha256(one)).isEqualTo(TreeSnapshot.sha256(src.resolve("big-5mb.bin")));
        // a symlink as the root is refused: an output is never a symlink
        Path link = out.resolveSibling(out.getFileName() + "-link");
        assertThatThrownBy(() -> Transfers.export(files, "/workspace/links/same-dir", link, ImportCaps.defaults(),
                ProgressListener.NONE)).isInstanceOfSatisfying(PyroException.class,
                        e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.INVALID_ARGUMENT))
                .hasMessageContaining("the exported path is a symlink");
        assertThat(Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
        // the output must not exist; a missing path is NOT_FOUND; nothing is left behind
        assertThatThrownBy(() -> Transfers.export(files, "/workspace", out, ImportCaps.defaults(),
                ProgressListener.NONE)).hasMessageContaining("already exists").hasMessageContaining(out.toString());
        assertThatThrownBy(() -> Transfers.export(files, "/workspace/nope", out.resolveSibling("x"),
                ImportCaps.defaults(), ProgressListener.NONE)).isInstanceOfSatisfying(PyroException.class,
                        e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.NOT_FOUND))
                .hasMessageContaining("export of a missing path: /workspace/nope");
        try (var list = Files.list(out.getParent())) {
            assertThat(list.map(p -> p.getFileName().toString()).filter(n -> n.contains("pyro-export"))).isEmpty();
        }
    }

    @Test
    void theThreeTarFormatsMadeByGnuTar() throws Exception {
        record Format(String file, List<String> flags, boolean nanoTimes) {
        }
        List<Format> formats = List.of(
                new Format("tree.tar", List.of("--format=gnu", "-cf"), false),
                new Format("tree.tar.gz", List.of("--format=pax", "-czf"), true),
                new Format("tree.tgz", List.of("--format=gnu", "-czf"), false));
        for (Format f : formats) {
            Path archive = tmp.resolve(f.file());
            List<String> cmd = new ArrayList<>(List.of("tar", "--sort=name", "-C", src.toString()));
            cmd.addAll(f.flags());
            cmd.add(archive.toString());
            cmd.add(".");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).as(out).isZero();

            SourceSpec spec = Transfers.inspectSeed(archive);
            assertThat(spec.kind()).isEqualTo(f.file().endsWith(".tar") ? SourceSpec.Kind.TAR : SourceSpec.Kind.TAR_GZ);
            for (String target : new String[] {"agent", "host"}) {
                Path ws = tmp.resolve(f.file() + "-" + target);
                Files.createDirectories(ws);
                TransferStats seeded;
                if (target.equals("agent")) {
                    try (StdioAgent agent = StdioAgent.start(ws, tmp.resolve(f.file() + ".log"))) {
                        seeded = Transfers.seed(Transfers.guest(agent.client()), spec, ImportCaps.defaults(),
                                ProgressListener.NONE);
                    }
                } else {
                    seeded = Transfers.seed(Transfers.host(ws), spec, ImportCaps.defaults(), ProgressListener.NONE);
                }
                assertThat(seeded.toSeed().mode()).isEqualTo(WorkspaceSeed.Mode.TAR_ARCHIVE);
                assertThat(seeded.bytes()).as(f.file()).isEqualTo(stats.bytes());
                // GNU format keeps whole seconds; PAX keeps nanoseconds (directories included).
                assertThat(diff(listing(ws, f.nanoTimes()), listing(src, f.nanoTimes()))).as(f.file() + " " + target)
                        .isEmpty();
                assertThat(Files.getAttribute(ws.resolve("links/hard-b"), "unix:ino"))
                        .isEqualTo(Files.getAttribute(ws.resolve("links/hard-a"), "unix:ino"));
            }
        }
        // A dry run reads the whole archive through the rules and writes nothing.
        TransferStats dry = Transfers.validate(Transfers.inspectSeed(tmp.resolve("tree.tgz")), null,
                ImportCaps.defaults());
        assertThat(dry.bytes()).isEqualTo(stats.bytes());
    }

    @Test
    void syncMergesReplacesAndKeepsTheRest() throws Exception {
        for (String target : new String[] {"agent", "host"}) {
            Path ws = tmp.resolve("sync-" + target);
            Files.createDirectories(ws.resolve("app/keep"));
            Files.writeString(ws.resolve("app/keep/k.txt"), "keep");
            Files.writeString(ws.resolve("app/replace.txt"), "old");
            Path push = tmp.resolve("push-" + target);
            Files.createDirectories(push.resolve("keep"));
            Files.writeString(push.resolve("replace.txt"), "new");
            Files.writeString(push.resolve("keep/added.txt"), "added");
            Files.writeString(push.resolve("fresh.txt"), "fresh");
            TransferStats pushed;
            if (target.equals("agent")) {
                try (StdioAgent agent = StdioAgent.start(ws, tmp.resolve("sync.log"))) {
                    pushed = Transfers.push(Transfers.guest(agent.client()), push, "app", ImportCaps.defaults(),
                            ProgressListener.NONE);
                }
            } else {
                pushed = Transfers.push(Transfers.host(ws), push, "/workspace/app/", ImportCaps.defaults(),
                        ProgressListener.NONE);
            }
            assertThat(pushed.destination()).isEqualTo("/workspace/app");
            assertThat(pushed.toResult("ws1")).isEqualTo(new TransferResult("ws1", push.toString(), "/workspace/app",
                    TransferResult.ArtifactType.DIRECTORY, 4, 13));
            assertThat(Files.readString(ws.resolve("app/replace.txt"))).isEqualTo("new");
            assertThat(Files.readString(ws.resolve("app/keep/k.txt"))).isEqualTo("keep");
            assertThat(Files.readString(ws.resolve("app/keep/added.txt"))).isEqualTo("added");
            assertThat(Files.readString(ws.resolve("app/fresh.txt"))).isEqualTo("fresh");
        }
    }
}
