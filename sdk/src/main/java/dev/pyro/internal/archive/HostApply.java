package dev.pyro.internal.archive;

import dev.pyro.PyroException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Applies a staged host-compat import to the workspace directory, atomically, like the guest
 * agent does (docs/guest-protocol.md, "IMPORT"): compare the staging tree with the workspace
 * (a conflict is found before anything changes), write the undo journal, then rename: a new
 * path is one rename, a replaced one is moved to {@code old/} first. If a step fails the done
 * ones are undone, newest first, and the merged directories get their times back. The undo
 * decides what happened from what exists, so it is also the recovery of an apply whose
 * process died ({@link #undo}), and running it twice is harmless.
 *
 * <p>Before each rename into the workspace every parent of the target is checked to be a real
 * directory ({@code lstat}), so no write passes through a symlink. Java has no
 * {@code renameat2(RENAME_NOREPLACE)}: a target is checked to be absent just before its
 * rename, which leaves a short race with processes that write the workspace at the same time
 * (host-compat has no isolation anyway).
 */
final class HostApply {
    private final Path root;
    private final Path sync;
    private final Path staged;
    private final Path old;
    /** Tests: fail before this rename step (0-based; a replace is two steps), -1 never. */
    private final int failAtStep;
    /** Tests: end the JVM abruptly (as a crash would) before this rename step, -1 never. */
    private final int crashAtStep;

    HostApply(Path root, Path sync, int failAtStep, int crashAtStep) {
        this.root = root;
        this.sync = sync;
        this.staged = sync.resolve("new");
        this.old = sync.resolve("old");
        this.failAtStep = failAtStep;
        this.crashAtStep = crashAtStep;
    }

    /** Plans, journals and applies; on failure undoes and throws. */
    void apply() throws IOException {
        List<ApplyJournal.Op> plan = new ArrayList<>();
        planDir(new byte[0], plan);
        ApplyJournal.write(sync, plan);
        int step = 0;
        try {
            for (ApplyJournal.Op op : plan) {
                switch (op.kind()) {
                    case 'C' -> {
                        step = step(step);
                        Path target = workspace(op.rel());
                        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                            throw changed(op.rel());
                        }
                        Files.move(stagedPath(op.rel()), target, StandardCopyOption.ATOMIC_MOVE);
                    }
                    case 'R' -> {
                        step = step(step);
                        Path target = workspace(op.rel());
                        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS) || TreeWriter.isRealDirectory(target)) {
                            throw changed(op.rel());
                        }
                        Files.move(target, old.resolve(Integer.toString(op.index())), StandardCopyOption.ATOMIC_MOVE);
                        step = step(step);
                        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                            throw changed(op.rel());
                        }
                        Files.move(stagedPath(op.rel()), target, StandardCopyOption.ATOMIC_MOVE);
                    }
                    default -> { }
                }
            }
        } catch (IOException | RuntimeException e) {
            try {
                undo(root, sync);
            } catch (IOException | RuntimeException u) {
                e.addSuppressed(u);
            }
            throw e;
        }
        ApplyJournal.syncDirectory(root);
        ApplyJournal.delete(sync);
    }

    private int step(int step) throws IOException {
        if (step == crashAtStep) {
            Runtime.getRuntime().halt(99);
        }
        if (step == failAtStep) {
            throw new IOException("test hook: failing apply step " + step);
        }
        return step + 1;
    }

    private PyroException changed(byte[] rel) {
        return PyroException.invalidArgument("conflict at /workspace/" + RawNames.display(rel)
                + ": it changed while the import was applied; the workspace is unchanged (retry)");
    }

    /** The workspace path of {@code rel}, after checking that each of its parents is a real directory. */
    private Path workspace(byte[] rel) throws IOException {
        Path p = root;
        int start = 0;
        for (int i = 0; i <= rel.length; i++) {
            if (i == rel.length || rel[i] == '/') {
                byte[] comp = Arrays.copyOfRange(rel, start, i);
                if (i < rel.length) {
                    p = p.resolve(RawNames.component(comp));
                    if (!TreeWriter.isRealDirectory(p)) {
                        throw PyroException.invalidArgument("conflict at /workspace/" + RawNames.display(
                                Arrays.copyOfRange(rel, 0, i)) + ": it is no longer a directory; the workspace is "
                                + "unchanged (nothing is written through symlinks)");
                    }
                } else {
                    p = p.resolve(RawNames.component(comp));
                }
                start = i + 1;
            }
        }
        return p;
    }

    private Path stagedPath(byte[] rel) {
        return RawNames.resolve(staged, rel);
    }

    /** Compares staged directory {@code rel} with the workspace's; adds C, R and T operations. */
    private void planDir(byte[] rel, List<ApplyJournal.Op> plan) throws IOException {
        Path sdir = rel.length == 0 ? staged : stagedPath(rel);
        Path wdir = rel.length == 0 ? root : RawNames.resolve(root, rel);
        List<Path> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(sdir)) {
            for (Path p : ds) {
                names.add(p.getFileName());
            }
        }
        names.sort((a, b) -> Arrays.compareUnsigned(RawNames.bytes(a), RawNames.bytes(b)));
        List<byte[]> merge = new ArrayList<>();
        int first = plan.size();
        for (Path name : names) {
            byte[] child = join(rel, RawNames.bytes(name));
            BasicFileAttributes s = Files.readAttributes(sdir.resolve(name), BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            BasicFileAttributes w;
            try {
                w = Files.readAttributes(wdir.resolve(name), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                plan.add(new ApplyJournal.Op('C', child, 0, 0));
                continue;
            }
            if (s.isDirectory() && w.isDirectory()) {
                merge.add(child);
            } else if (s.isDirectory() || w.isDirectory()) {
                throw PyroException.invalidArgument("conflict at /workspace/" + RawNames.display(child)
                        + ": the import has " + word(s) + " there, the workspace " + word(w)
                        + "; nothing was imported (remove or rename one of them)");
            } else {
                plan.add(new ApplyJournal.Op('R', child, plan.size(), 0));
            }
        }
        if (plan.size() > first) {
            BasicFileAttributes w = Files.readAttributes(wdir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            plan.add(new ApplyJournal.Op('T', rel, 0, DirectorySource.nanos(w.lastModifiedTime())));
        }
        for (byte[] m : merge) {
            planDir(m, plan);
        }
    }

    private static String word(BasicFileAttributes a) {
        return a.isDirectory() ? "a directory" : a.isSymbolicLink() ? "a symlink" : a.isRegularFile() ? "a file"
                : "a special file";
    }

    /**
     * Undoes the journaled apply in {@code sync} (if any): each rename, newest first, only if it
     * happened; then the merged directories' times. Leaves the journal in place.
     */
    static void undo(Path root, Path sync) throws IOException {
        List<ApplyJournal.Op> ops = ApplyJournal.read(sync);
        if (ops == null) {
            return;
        }
        Path staged = sync.resolve("new");
        Path old = sync.resolve("old");
        for (int i = ops.size() - 1; i >= 0; i--) {
            ApplyJournal.Op op = ops.get(i);
            if (op.kind() == 'T') {
                continue;
            }
            Path target = RawNames.resolve(root, op.rel());
            Path stagedPath = RawNames.resolve(staged, op.rel());
            boolean stagedGone = !Files.exists(stagedPath, LinkOption.NOFOLLOW_LINKS);
            boolean inWorkspace = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
            if (op.kind() == 'C') {
                if (stagedGone && inWorkspace) {
                    Files.move(target, stagedPath, StandardCopyOption.ATOMIC_MOVE);
                }
            } else {
                Path backup = old.resolve(Integer.toString(op.index()));
                boolean backedUp = Files.exists(backup, LinkOption.NOFOLLOW_LINKS);
                if (stagedGone && inWorkspace && backedUp) {
                    Files.move(target, stagedPath, StandardCopyOption.ATOMIC_MOVE);
                }
                if (backedUp) {
                    Files.move(backup, target, StandardCopyOption.ATOMIC_MOVE);
                }
            }
        }
        for (ApplyJournal.Op op : ops) {
            if (op.kind() == 'T') {
                Path dir = op.rel().length == 0 ? root : RawNames.resolve(root, op.rel());
                if (TreeWriter.isRealDirectory(dir)) {
                    TreeWriter.setTime(dir, op.mtimeNs(), false);
                }
            }
        }
        ApplyJournal.syncDirectory(root);
    }

    private static byte[] join(byte[] prefix, byte[] name) {
        if (prefix.length == 0) {
            return name;
        }
        byte[] out = new byte[prefix.length + 1 + name.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        out[prefix.length] = '/';
        System.arraycopy(name, 0, out, prefix.length + 1, name.length);
        return out;
    }
}
