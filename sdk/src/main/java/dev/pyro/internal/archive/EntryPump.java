package dev.pyro.internal.archive;

import java.io.IOException;
import java.io.InputStream;

/**
 * Moves a source's entries through the rules into a sink: each entry is checked by the
 * {@link EntryValidator} before the sink sees it, and a file's content is copied in 256 KiB
 * pieces, exactly its size (a source that ends early is an error naming the entry). The whole
 * run must end before the caps' time limit (checked at every entry and piece).
 */
final class EntryPump {
    static final int BUFFER = 256 * 1024;

    private EntryPump() {
    }

    /**
     * @throws EntryRejectedException an entry broke a rule (the sink has seen the entries before it)
     * @throws dev.pyro.PyroException the source failed
     * @throws IOException the sink failed
     */
    static void run(EntrySource source, EntryValidator validator, EntrySink sink, TransferProgress progress,
            long deadline, String what) throws IOException {
        byte[] buffer = new byte[BUFFER];
        Entry raw;
        while ((raw = source.next()) != null) {
            checkDeadline(deadline, validator, what);
            Entry entry = validator.accept(raw);
            sink.entry(entry);
            if (entry.kind() != EntryKind.FILE || entry.size() == 0) {
                continue;
            }
            InputStream in = source.content();
            long left = entry.size();
            while (left > 0) {
                int n;
                try {
                    n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                } catch (IOException e) {
                    throw source.contentFailed(entry, entry.size() - left, e);
                }
                if (n < 0) {
                    throw source.contentFailed(entry, entry.size() - left, null);
                }
                sink.data(buffer, 0, n);
                left -= n;
                progress.update(source.progressDone());
                checkDeadline(deadline, validator, what);
            }
        }
    }

    private static void checkDeadline(long deadline, EntryValidator validator, String what) {
        if (System.nanoTime() - deadline > 0) {
            throw validator.caps().timedOut(what, "nothing was imported");
        }
    }
}
