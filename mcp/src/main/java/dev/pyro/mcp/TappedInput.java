package dev.pyro.mcp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * stdin as the SDK's stdio transport reads it: newline-delimited messages, each passed
 * through the {@link MessageTap} first. Blank lines are skipped, bad lines are answered on
 * stdout with a JSON-RPC error (the SDK would stop reading at the first one), and the end of
 * input (the client went away) is reported once.
 */
final class TappedInput extends InputStream {
    private static final Logger LOG = LoggerFactory.getLogger(TappedInput.class);
    static final String SESSION = "stdio";

    private final InputStream in;
    private final MessageTap tap;
    private final OutputStream out;
    private final Runnable onEnd;
    private final int maxLineBytes;
    private byte[] pending = new byte[0];
    private int pos;
    private boolean ended;
    private final byte[] buf = new byte[64 * 1024];
    private int bufPos;
    private int bufLen;

    /**
     * @param out where error responses go; the SDK's stdio transport writes to the same stream
     *     and synchronizes on it, as this class does
     * @param onEnd called once when the input ends (or fails)
     */
    TappedInput(InputStream in, MessageTap tap, OutputStream out, Runnable onEnd, int maxLineBytes) {
        this.in = in;
        this.tap = tap;
        this.out = out;
        this.onEnd = onEnd;
        this.maxLineBytes = maxLineBytes;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (pos >= pending.length) {
            if (ended || !nextMessage()) {
                return -1;
            }
        }
        int n = Math.min(len, pending.length - pos);
        System.arraycopy(pending, pos, b, off, n);
        pos += n;
        return n;
    }

    /** Reads lines until one is to be forwarded; false at the end of input. */
    private boolean nextMessage() throws IOException {
        while (true) {
            String line = readLine();
            if (line == null) {
                end();
                return false;
            }
            if (line.isBlank()) {
                continue;
            }
            MessageTap.Outcome outcome = tap.inspect(line, SESSION, true);
            if (outcome instanceof MessageTap.Forward f) {
                pending = (f.text() + "\n").getBytes(StandardCharsets.UTF_8);
                pos = 0;
                return true;
            }
            if (outcome instanceof MessageTap.Reject r) {
                LOG.warn("refused an inbound message: {}", r.response());
                reply(r.response());
            }
        }
    }

    /** One line without its terminator, or null at the end of input. Overlong lines are refused. */
    private String readLine() throws IOException {
        java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        boolean tooLong = false;
        boolean eof = false;
        while (true) {
            if (bufPos >= bufLen && !fill()) {
                eof = true;
                break;
            }
            int start = bufPos;
            while (bufPos < bufLen && buf[bufPos] != '\n') {
                bufPos++;
            }
            int n = bufPos - start;
            if (line.size() + n <= maxLineBytes) {
                line.write(buf, start, n);
            } else {
                tooLong = true;
            }
            if (bufPos < bufLen) { // found the newline
                bufPos++;
                break;
            }
        }
        if (tooLong) {
            reply("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"Invalid Request: message"
                    + " longer than " + maxLineBytes + " bytes\"}}");
            return eof ? null : "";
        }
        if (eof && line.size() == 0) {
            return null;
        }
        String s = line.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    private boolean fill() {
        try {
            int n = in.read(buf, 0, buf.length);
            if (n <= 0) {
                return false;
            }
            bufPos = 0;
            bufLen = n;
            return true;
        } catch (IOException e) {
            LOG.warn("reading stdin failed: {}", e.toString());
            return false;
        }
    }

    private void reply(String json) throws IOException {
        synchronized (out) {
            out.write((json + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }

    private void end() {
        if (!ended) {
            ended = true;
            onEnd.run();
        }
    }
}
