package dev.pyro.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class MessageTapTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final CallRegistry calls = new CallRegistry();
    private final MessageTap tap = new MessageTap(calls);

    private static JsonNode json(String text) {
        return JSON.readTree(text);
    }

    @Test
    void stampsToolCallsWithTheirCallKey() {
        String in = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"vm_run\","
                + "\"arguments\":{\"timeout_seconds\":30.0},\"_meta\":{\"progressToken\":\"t\"}}}";
        MessageTap.Outcome out = tap.inspect(in, "s1", true);
        assertThat(out).isInstanceOf(MessageTap.Forward.class);
        JsonNode node = json(((MessageTap.Forward) out).text());
        assertThat(node.at("/params/_meta/dev.pyro~1call").asString()).isEqualTo("s1 7");
        assertThat(node.at("/params/_meta/progressToken").asString()).isEqualTo("t");
        assertThat(node.at("/params/arguments/timeout_seconds").toString()).isEqualTo("30.0");
        assertThat(((MessageTap.Forward) out).text()).doesNotContain("\n");
    }

    @Test
    void stringIdsKeepTheirQuotesSoTheyDifferFromNumbers() {
        String in = "{\"jsonrpc\":\"2.0\",\"id\":\"7\",\"method\":\"tools/call\",\"params\":{\"name\":\"x\"}}";
        JsonNode node = json(((MessageTap.Forward) tap.inspect(in, "s", true)).text());
        assertThat(node.at("/params/_meta/dev.pyro~1call").asString()).isEqualTo("s \"7\"");
    }

    @Test
    void aForgedCallKeyIsOverwritten() {
        String in = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"x\","
                + "\"_meta\":{\"dev.pyro/call\":\"other 9\"}}}";
        JsonNode node = json(((MessageTap.Forward) tap.inspect(in, "mine", true)).text());
        assertThat(node.at("/params/_meta/dev.pyro~1call").asString()).isEqualTo("mine 1");
    }

    @Test
    void otherMessagesPassThroughUntouched() {
        String in = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{}}";
        assertThat(tap.inspect(in, "s", true)).isEqualTo(new MessageTap.Forward(in));
        String response = "{\"jsonrpc\":\"2.0\",\"id\":\"s-1\",\"result\":{}}";
        assertThat(tap.inspect(response, "s", true)).isEqualTo(new MessageTap.Forward(response));
    }

    @Test
    void cancellationCancelsTheRunningCallOfThatSessionOnly() {
        ToolCall call = calls.begin(MessageTap.callKey("s1", "7"), "vm_run", null);
        assertThat(tap.inspect("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":7}}",
                "s2", true)).isInstanceOf(MessageTap.Consumed.class);
        assertThat(call.cancelled()).isFalse();
        tap.inspect("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":7,"
                + "\"reason\":\"user\"}}", "s1", true);
        assertThat(call.cancelled()).isTrue();
    }

    @Test
    void aCancellationBeforeTheCallStartedIsRemembered() {
        tap.inspect("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"a\"}}",
                "s", false);
        assertThat(calls.begin(MessageTap.callKey("s", "\"a\""), "vm_run", null)).isNull();
        assertThat(calls.begin(MessageTap.callKey("s", "\"a\""), "vm_run", null)).isNotNull();
    }

    @Test
    void strictModeAnswersWhatTheSdkWouldChokeOn() {
        assertThat(reject("not json")).contains("\"code\":-32700").contains("\"id\":null");
        assertThat(reject("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]")).contains("-32600", "batches");
        assertThat(reject("{\"jsonrpc\":\"2.0\",\"id\":3}")).contains("-32600").contains("\"id\":3");
        assertThat(reject("{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"ping\"}")).contains("\"id\":null");
        assertThat(reject("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":5}")).contains("\"id\":4");
    }

    @Test
    void lenientModeLeavesErrorsToTheTransport() {
        assertThat(tap.inspect("not json", "s", false)).isEqualTo(new MessageTap.Forward("not json"));
    }

    private String reject(String in) {
        MessageTap.Outcome out = tap.inspect(in, "s", true);
        assertThat(out).as(in).isInstanceOf(MessageTap.Reject.class);
        return ((MessageTap.Reject) out).response();
    }
}
