package dev.pyro.internal.archive;

import dev.pyro.internal.guest.ExportSink;
import dev.pyro.internal.guest.ExportSummary;
import dev.pyro.internal.guest.GuestClient;
import dev.pyro.internal.guest.GuestImport;
import dev.pyro.internal.guest.GuestStat;
import dev.pyro.internal.guest.ImportSummary;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A workspace in a VM: imports, exports and stat over the guest protocol (the agent stages
 * imports and applies them atomically, see docs/guest-protocol.md, "IMPORT").
 */
public final class GuestFiles implements WorkspaceFiles {
    /** How long the guest may stay silent during an export, or take for a STAT. */
    static final Duration IDLE = Duration.ofSeconds(60);
    /** Time allowed for applying an import: a base plus 1 s per 10 MB (it flushes to disk). */
    static final Duration APPLY_BASE = Duration.ofSeconds(60);

    private final GuestClient guest;

    public GuestFiles(GuestClient guest) {
        this.guest = Objects.requireNonNull(guest, "guest");
    }

    @Override
    public ImportSession beginImport(String dest, ImportCaps caps) {
        GuestImport imp = guest.startImport(dest, caps.maxEntries(), caps.maxBytes());
        return new ImportSession() {
            private long bytes;

            @Override
            public void entry(Entry e) {
                imp.entry(e.kind().wire(), e.path(), e.mode(), e.mtimeNs(), e.size(), e.target());
                bytes += e.size();
            }

            @Override
            public void data(byte[] buffer, int offset, int length) {
                imp.data(buffer, offset, length);
            }

            @Override
            public ImportSummary commit() {
                return imp.finish(APPLY_BASE.plusSeconds(bytes / 10_000_000));
            }

            @Override
            public void close() {
                imp.close();
            }
        };
    }

    @Override
    public ExportSummary export(String path, ExportSink sink, Duration timeout) {
        return guest.export(path, sink, IDLE, timeout);
    }

    @Override
    public Optional<GuestStat> stat(String path) {
        return guest.stat(path, IDLE);
    }

    @Override
    public String describe() {
        return "the workspace VM";
    }
}
