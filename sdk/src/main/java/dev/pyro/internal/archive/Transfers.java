package dev.pyro.internal.archive;

import dev.pyro.ProgressListener;
import dev.pyro.PyroException;
import dev.pyro.TransferResult;
import dev.pyro.internal.guest.GuestClient;
import dev.pyro.internal.guest.GuestStat;
import dev.pyro.internal.guest.ImportSummary;
import dev.pyro.internal.guest.TransferFailedException;
import dev.pyro.internal.guest.TransferTimeoutException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The entry point for workspace file transfers (docs/transfers.md): seeding a new workspace,
 * pushing more host content into it, exporting from it. The same calls serve a workspace in a
 * VM ({@link #guest}) and a host-compat workspace ({@link #host}).
 *
 * <p>Every entry passes the one rule set ({@link EntryValidator}) on the host before it is
 * sent or written; imports are atomic (a rejected or failed seed or sync leaves the workspace
 * as it was); exports create their output atomically and never write outside it. Errors are
 * {@link PyroException}s with one-line messages naming the entry and the rule.
 *
 * <p>A workspace manager would: {@code SourceSpec seed = Transfers.inspectSeed(path)} before
 * it boots anything (missing, unreadable, unsupported sources fail here), optionally
 * {@link #validate} (a dry run that finds hostile entries before a VM exists), boot, then
 * {@code Transfers.seed(Transfers.guest(client), seed, caps, progress).toSeed()}; on any
 * exception from seed, delete the new workspace.
 */
public final class Transfers {
    private Transfers() {
    }

    /** The files of a workspace VM, through its guest agent. */
    public static WorkspaceFiles guest(GuestClient client) {
        return new GuestFiles(client);
    }

    /** The files of a host-compat workspace directory (recovers unfinished imports first). */
    public static WorkspaceFiles host(Path workspaceDirectory) {
        return HostWorkspace.open(workspaceDirectory);
    }

    /**
     * Checks a seed source without reading it all: exists, readable, a directory or a
     * {@code .tar}/{@code .tar.gz}/{@code .tgz} (by content).
     *
     * @throws PyroException {@code NOT_FOUND} or {@code INVALID_ARGUMENT} with a one-line message
     */
    public static SourceSpec inspectSeed(Path source) {
        return SourceSpec.inspect(source, "seed path");
    }

    /**
     * A dry run: reads the whole source through the rules (and, for archives, the whole
     * archive, so truncation is found) without writing anything.
     *
     * @param dest the destination (as the user wrote it; null or empty: /workspace)
     * @return what an import would write (elapsed: the dry run's time)
     * @throws EntryRejectedException the first entry that breaks a rule
     */
    public static TransferStats validate(SourceSpec source, String dest, ImportCaps caps) {
        String destination = WorkspacePaths.normalize(dest, "destination");
        long start = System.nanoTime();
        long deadline = caps.deadlineFromNow();
        try (EntrySource src = source.open()) {
            EntryValidator validator = new EntryValidator(src.label(), "nothing was imported",
                    WorkspacePaths.relative(destination), caps);
            EntryPump.run(src, validator, new EntrySink() {
                @Override
                public void entry(Entry entry) {
                }

                @Override
                public void data(byte[] buffer, int offset, int length) {
                }
            }, new TransferProgress(ProgressListener.NONE, "validate", "", -1), deadline,
                    "checking " + source.path());
            return new TransferStats(source.path().toString(), destination, source.artifactType(),
                    validator.entries(), validator.bytes(), Duration.ofNanos(System.nanoTime() - start));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // the sink above does not throw
        }
    }

    /**
     * Seeds {@code /workspace} from a directory or tar archive (a new, empty workspace).
     *
     * @return the result; {@link TransferStats#toSeed()} is the workspace_seed metadata
     */
    public static TransferStats seed(WorkspaceFiles workspace, SourceSpec source, ImportCaps caps,
            ProgressListener progress) {
        return importInto(workspace, source, WorkspacePaths.ROOT, caps, progress, "seed");
    }

    /** {@link #inspectSeed} then {@link #seed(WorkspaceFiles, SourceSpec, ImportCaps, ProgressListener)}. */
    public static TransferStats seed(WorkspaceFiles workspace, Path source, ImportCaps caps, ProgressListener progress) {
        return seed(workspace, inspectSeed(source), caps, progress);
    }

    /**
     * {@code sync push}: imports a directory or tar archive into {@code dest} (merged into what
     * is there; files replaced, nothing deleted). Atomic: on any error the workspace is unchanged.
     * An archive is checked completely ({@link #validate}) before its first entry is sent.
     *
     * @param dest the destination as the user wrote it (relative paths are below /workspace;
     *     null or empty: /workspace)
     */
    public static TransferStats push(WorkspaceFiles workspace, Path source, String dest, ImportCaps caps,
            ProgressListener progress) {
        String destination = WorkspacePaths.normalize(dest, "destination");
        SourceSpec spec = SourceSpec.inspect(source, "sync source");
        if (spec.kind() != SourceSpec.Kind.DIRECTORY) {
            // An archive is read through the rules once before anything is sent (as a seed is
            // before its VM boots): a hostile one costs the workspace nothing, however many
            // entries it has before the one that breaks a rule.
            validate(spec, destination, caps);
        }
        return importInto(workspace, spec, destination, caps, progress, "sync");
    }

    private static TransferStats importInto(WorkspaceFiles workspace, SourceSpec source, String destination,
            ImportCaps caps, ProgressListener progress, String task) {
        long start = System.nanoTime();
        long deadline = caps.deadlineFromNow();
        String what = (task.equals("seed") ? "seeding " + destination + " from " : "syncing ") + source.path()
                + (task.equals("seed") ? "" : " into " + destination);
        try (EntrySource src = source.open()) {
            TransferProgress p = new TransferProgress(progress, task, what,
                    progress == ProgressListener.NONE ? -1 : src.progressTotal());
            p.start();
            EntryValidator validator = new EntryValidator(src.label(), "nothing was imported",
                    WorkspacePaths.relative(destination), caps);
            ImportSummary summary;
            try (ImportSession session = workspace.beginImport(destination, caps)) {
                session.hostDirectory().ifPresent(validator::limitHostPaths);
                EntryPump.run(src, validator, session, p, deadline, what);
                summary = session.commit();
            } catch (IOException e) {
                throw new PyroException(PyroException.Kind.HOST_SETUP, "staging the " + task + " of " + source.path()
                        + " in " + workspace.describe() + " failed: " + e.getMessage() + "; the workspace is unchanged",
                        e);
            } catch (TransferFailedException e) {
                throw withAdvice(e, caps);
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            p.done(task + ": " + summary.entries() + " entries, " + summary.bytes() + " bytes in " + elapsed.toMillis()
                    + " ms", src.progressDone());
            return new TransferStats(source.path().toString(), destination, source.artifactType(), summary.entries(),
                    summary.bytes(), elapsed);
        }
    }

    /** A guest LIMIT error names the host setting that raises it (or, for a full disk, what to do). */
    private static PyroException withAdvice(TransferFailedException e, ImportCaps caps) {
        if (e.code() == dev.pyro.internal.guest.Frame.Error.LIMIT && e.errno() == TransferFailedException.ENOSPC) {
            return new PyroException(e.kind(), e.getMessage() + "; nothing was imported (free space in the workspace, "
                    + "or import less)", e);
        }
        if (e.code() == dev.pyro.internal.guest.Frame.Error.LIMIT) {
            return new PyroException(e.kind(), e.getMessage() + "; nothing was imported (" + caps.entriesAdvice()
                    + " or " + caps.bytesAdvice() + ")", e);
        }
        return e;
    }

    /**
     * Copies {@code path} (a file, symlink or directory tree in the workspace) to the host path
     * {@code output}, which must not exist; it appears complete or not at all.
     *
     * @param path the workspace path as the user wrote it (relative: below /workspace)
     * @throws PyroException {@code NOT_FOUND} ("export of a missing path ..."), {@code
     *     INVALID_ARGUMENT} (output exists, bad path, a rejected entry), ...
     */
    public static TransferStats export(WorkspaceFiles workspace, String path, Path output, ImportCaps caps,
            ProgressListener progress) {
        String source = WorkspacePaths.normalize(path, "export path");
        Path out = output.toAbsolutePath().normalize();
        ExportWriter.checkOutput(out);
        long start = System.nanoTime();
        Optional<GuestStat> stat = workspace.stat(source);
        if (stat.isEmpty()) {
            throw new PyroException(PyroException.Kind.NOT_FOUND, "export of a missing path: " + source
                    + " does not exist in " + workspace.describe() + "; check the path (nothing was written)");
        }
        long total = stat.get().isFile() ? stat.get().size() : -1;
        TransferProgress p = new TransferProgress(progress, "export", "exporting " + source + " to " + out, total);
        p.start();
        try (ExportWriter writer = ExportWriter.create(out, caps, p::update)) {
            try {
                workspace.export(source, writer, caps.timeout());
            } catch (TransferTimeoutException e) {
                throw caps.timedOut("the export of " + source + " to " + out, "nothing was written");
            }
            TransferResult.ArtifactType type = writer.commit();
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            p.done("export: " + writer.entries() + " entries, " + writer.bytes() + " bytes in " + elapsed.toMillis()
                    + " ms", writer.bytes());
            return new TransferStats(source, out.toString(), type, writer.entries(), writer.bytes(), elapsed);
        } catch (UncheckedIOException e) {
            throw writeFailed(out, e.getCause());
        } catch (IOException e) {
            throw writeFailed(out, e);
        }
    }

    private static PyroException writeFailed(Path out, IOException e) {
        return new PyroException(PyroException.Kind.HOST_SETUP, "writing the export to " + out + " failed: "
                + e.getMessage() + "; nothing was written (free space or choose another output)", e);
    }
}
