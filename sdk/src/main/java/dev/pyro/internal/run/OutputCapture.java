package dev.pyro.internal.run;

import dev.pyro.OutputListener;
import java.io.ByteArrayOutputStream;

/**
 * Forwards a command's output to the caller's listener and keeps up to {@code limit} bytes of
 * each stream for the result. Thread-safe: stdout and stderr may arrive from different threads.
 */
public final class OutputCapture implements OutputListener {
    private final OutputListener downstream;
    private final Stream out;
    private final Stream err;

    public OutputCapture(OutputListener downstream, long limit) {
        this.downstream = downstream;
        this.out = new Stream(limit);
        this.err = new Stream(limit);
    }

    @Override
    public void onStdout(byte[] data, int offset, int length) {
        out.append(data, offset, length);
        downstream.onStdout(data, offset, length);
    }

    @Override
    public void onStderr(byte[] data, int offset, int length) {
        err.append(data, offset, length);
        downstream.onStderr(data, offset, length);
    }

    public byte[] stdout() {
        return out.bytes();
    }

    public byte[] stderr() {
        return err.bytes();
    }

    public boolean stdoutTruncated() {
        return out.truncated();
    }

    public boolean stderrTruncated() {
        return err.truncated();
    }

    /** One captured stream with a byte limit. */
    private static final class Stream {
        private final long limit;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private boolean truncated;

        Stream(long limit) {
            this.limit = limit;
        }

        synchronized void append(byte[] data, int offset, int length) {
            long room = limit - bytes.size();
            if (room >= length) {
                bytes.write(data, offset, length);
            } else {
                if (room > 0) {
                    bytes.write(data, offset, (int) room);
                }
                truncated = true;
            }
        }

        synchronized byte[] bytes() {
            return bytes.toByteArray();
        }

        synchronized boolean truncated() {
            return truncated;
        }
    }
}
