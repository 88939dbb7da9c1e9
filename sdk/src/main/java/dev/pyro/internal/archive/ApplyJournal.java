package dev.pyro.internal.archive;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The undo journal of a host-compat import's apply: the renames it will do, written and
 * flushed before the first one. Text, one operation per line, paths as hex of their raw bytes:
 * <pre>
 * pyro-host-import-journal 1
 * C &lt;hex&gt;                 create: staged path renamed into the workspace
 * R &lt;index&gt; &lt;hex&gt;         replace: workspace path to old/&lt;index&gt;, then the staged one in
 * T &lt;mtime-ns&gt; &lt;hex&gt;      a merged directory's time before the apply
 * E
 * </pre>
 * A journal without the final {@code E} was not completely written: no rename had started.
 */
final class ApplyJournal {
    static final String MAGIC = "pyro-host-import-journal 1";

    /** One planned step. */
    record Op(char kind, byte[] rel, int index, long mtimeNs) {
    }

    private ApplyJournal() {
    }

    /** Writes {@code ops} durably as {@code sync/journal} (via a temporary and a rename). */
    static void write(Path sync, List<Op> ops) throws IOException {
        StringBuilder s = new StringBuilder(MAGIC).append('\n');
        HexFormat hex = HexFormat.of();
        for (Op op : ops) {
            s.append(op.kind());
            switch (op.kind()) {
                case 'R' -> s.append(' ').append(op.index());
                case 'T' -> s.append(' ').append(op.mtimeNs());
                default -> { }
            }
            s.append(' ').append(op.rel().length == 0 ? "-" : hex.formatHex(op.rel())).append('\n');
        }
        s.append("E\n");
        Path tmp = sync.resolve("journal.tmp");
        try (FileChannel f = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(s.toString().getBytes(StandardCharsets.US_ASCII));
            while (b.hasRemaining()) {
                f.write(b);
            }
            f.force(true);
        }
        Files.move(tmp, sync.resolve("journal"), StandardCopyOption.ATOMIC_MOVE);
        syncDirectory(sync);
    }

    /** The operations of {@code sync/journal}, or null if there is no complete journal. */
    static List<Op> read(Path sync) throws IOException {
        Path journal = sync.resolve("journal");
        if (!Files.isRegularFile(journal)) {
            return null;
        }
        List<String> lines = Files.readAllLines(journal, StandardCharsets.US_ASCII);
        if (lines.isEmpty() || !lines.get(0).equals(MAGIC) || !lines.get(lines.size() - 1).equals("E")) {
            throw new IOException("the undo journal " + journal + " is damaged");
        }
        List<Op> ops = new ArrayList<>();
        HexFormat hex = HexFormat.of();
        for (String line : lines.subList(1, lines.size() - 1)) {
            String[] f = line.split(" ");
            char kind = f[0].charAt(0);
            String path = f[f.length - 1];
            byte[] rel = path.equals("-") ? new byte[0] : hex.parseHex(path);
            switch (kind) {
                case 'C' -> ops.add(new Op('C', rel, 0, 0));
                case 'R' -> ops.add(new Op('R', rel, Integer.parseInt(f[1]), 0));
                case 'T' -> ops.add(new Op('T', rel, 0, Long.parseLong(f[1])));
                default -> throw new IOException("the undo journal " + journal + " is damaged");
            }
        }
        return ops;
    }

    /** Deletes the journal (the commit point of an apply) and flushes that. */
    static void delete(Path sync) throws IOException {
        Files.deleteIfExists(sync.resolve("journal"));
        syncDirectory(sync);
    }

    /** fsync of a directory, so a rename in it is durable; best effort (not every JDK can). */
    static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | RuntimeException e) {
            // durability of the rename is best effort on the host
        }
    }
}
