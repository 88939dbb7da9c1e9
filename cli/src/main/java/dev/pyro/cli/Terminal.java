package dev.pyro.cli;

import dev.pyro.ProgressListener;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The CLI's two output streams. stdout carries results only (command output, JSON, the MCP
 * protocol); everything for the human (progress, notes, errors) goes to stderr.
 */
final class Terminal {
    private final PrintStream out;
    private final PrintStream err;
    private final boolean errIsTty;

    Terminal(OutputStream out, OutputStream err, boolean errIsTty) {
        this.out = new PrintStream(out, false, StandardCharsets.UTF_8);
        this.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        this.errIsTty = errIsTty;
    }

    /** The process's real stdout and stderr; the launcher tells whether stderr is a terminal. */
    static Terminal system() {
        return new Terminal(new FileOutputStream(FileDescriptor.out), new FileOutputStream(FileDescriptor.err),
                Boolean.getBoolean("pyro.stderr.tty"));
    }

    PrintStream out() {
        return out;
    }

    PrintWriter outWriter() {
        return new PrintWriter(out, true, StandardCharsets.UTF_8);
    }

    PrintWriter errWriter() {
        return new PrintWriter(err, true, StandardCharsets.UTF_8);
    }

    PrintStream errPrintStream() {
        return err;
    }

    boolean errIsTty() {
        return errIsTty;
    }

    /** Raw bytes to stdout, flushed at once (live output of a guest command). */
    void writeOut(byte[] data, int offset, int length) {
        out.write(data, offset, length);
        out.flush();
    }

    /** Raw bytes to stderr, flushed at once. */
    void writeErr(byte[] data, int offset, int length) {
        err.write(data, offset, length);
        err.flush();
    }

    void println(String line) {
        out.println(line);
        out.flush();
    }

    /** A note for the human, on stderr. */
    void note(String line) {
        err.println("pyro: " + line);
    }

    void error(String message) {
        err.println("pyro: error: " + message);
    }

    /** Progress on stderr: a live line on a terminal, plain lines otherwise; none when quiet. */
    ProgressListener progress(boolean quiet) {
        return quiet ? ProgressListener.NONE : new ProgressRenderer(err, errIsTty);
    }

    void flush() {
        out.flush();
        err.flush();
        if (out.checkError()) {
            throw new UncheckedIOException(new IOException("stdout closed"));
        }
    }
}
