package dev.pyro.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TappedInputTest {
    private final ByteArrayOutputStream replies = new ByteArrayOutputStream();
    private final AtomicInteger ends = new AtomicInteger();

    private String readAll(String input, int maxLine) throws IOException {
        TappedInput in = new TappedInput(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                new MessageTap(new CallRegistry()), replies, ends::incrementAndGet, maxLine);
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        assertThat(in.read()).isEqualTo(-1);
        return text;
    }

    @Test
    void forwardsMessagesLineByLineAndReportsTheEndOnce() throws IOException {
        String ping = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
        String note = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
        assertThat(readAll(ping + "\r\n\n   \n" + note, 1000)).isEqualTo(ping + "\n" + note + "\n");
        assertThat(replies.size()).isZero();
        assertThat(ends).hasValue(1);
    }

    @Test
    void answersBadLinesAndGoesOn() throws IOException {
        String ping = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
        assertThat(readAll("oops\n" + ping + "\n", 1000)).isEqualTo(ping + "\n");
        assertThat(replies.toString(StandardCharsets.UTF_8)).contains("-32700").endsWith("\n");
    }

    @Test
    void refusesOverlongLines() throws IOException {
        String ping = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
        String big = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\",\"params\":{\"x\":\"" + "a".repeat(500) + "\"}}";
        assertThat(readAll(big + "\n" + ping + "\n", 100)).isEqualTo(ping + "\n");
        assertThat(replies.toString(StandardCharsets.UTF_8)).contains("longer than 100 bytes");
    }
}
