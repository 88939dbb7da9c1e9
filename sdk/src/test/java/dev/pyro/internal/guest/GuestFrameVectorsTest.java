package dev.pyro.internal.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every shared test vector (runtime_sources/linux-x86_64/agent/vectors.txt, packaged on
 * the classpath) through decode, canonical rendering and re-encoding, exactly as the C agent's
 * {@code make test} does on the other end.
 */
class GuestFrameVectorsTest {
    static final String VECTORS = "dev/pyro/runtime_sources/linux-x86_64/agent/vectors.txt";

    record Vector(String name, byte[] hex, String text, int line) {
        boolean invalid() {
            return text.equals("INVALID");
        }
    }

    static List<Vector> load() throws IOException {
        InputStream in = GuestFrameVectorsTest.class.getClassLoader().getResourceAsStream(VECTORS);
        assertThat(in).as("%s on the classpath (the sdk packages ../runtime_sources)", VECTORS).isNotNull();
        List<String> lines;
        try (in) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
        List<Vector> vectors = new ArrayList<>();
        String name = null;
        String hex = null;
        int start = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).stripTrailing();
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] kv = line.split("\\s+", 2);
            String value = kv.length > 1 ? kv[1] : "";
            switch (kv[0]) {
                case "vector" -> {
                    assertThat(name).as("line %d: vector without hex/text before it", i + 1).isNull();
                    name = value;
                    start = i + 1;
                }
                case "hex" -> hex = value.replaceAll("\\s+", "");
                case "text" -> {
                    assertThat(name).as("line %d: text without vector", i + 1).isNotNull();
                    assertThat(hex).as("line %d: text without hex", i + 1).isNotNull();
                    vectors.add(new Vector(name, HexFormat.of().parseHex(hex), value, start));
                    name = null;
                    hex = null;
                }
                default -> throw new AssertionError("line " + (i + 1) + ": unknown keyword " + kv[0]);
            }
        }
        assertThat(name).as("last vector is complete").isNull();
        return vectors;
    }

    @TestFactory
    Stream<DynamicTest> everyVector() throws IOException {
        return load().stream().map(v -> DynamicTest.dynamicTest(v.name() + " (line " + v.line() + ")", () -> check(v)));
    }

    private static void check(Vector v) throws IOException {
        if (v.invalid()) {
            // Whole frames with a bad payload fail in decode(); header-only frames with a bad
            // length must fail from the length field alone, which the stream reader proves.
            assertThatThrownBy(() -> FrameCodec.decode(v.hex())).isInstanceOf(ProtocolException.class);
            FrameReader reader = new FrameReader(Channels.newChannel(new ByteArrayInputStream(v.hex())));
            assertThatThrownBy(reader::read).isInstanceOf(ProtocolException.class);
            return;
        }
        Frame frame = FrameCodec.decode(v.hex());
        assertThat(FrameCodec.render(frame)).isEqualTo(v.text());
        assertThat(HexFormat.of().formatHex(FrameCodec.encode(frame))).isEqualTo(HexFormat.of().formatHex(v.hex()));
        // The stream reader sees the same frame.
        FrameReader reader = new FrameReader(Channels.newChannel(new ByteArrayInputStream(v.hex())));
        assertThat(FrameCodec.render(reader.read())).isEqualTo(v.text());
        assertThat(reader.read()).as("end of stream after one frame").isNull();
    }

    @Test
    void vectorsCoverEveryFrameTypeAndSomeInvalidFrames() throws IOException {
        List<Vector> vectors = load();
        List<FrameType> seen = new ArrayList<>();
        for (Vector v : vectors) {
            if (!v.invalid()) {
                seen.add(FrameCodec.decode(v.hex()).type());
            }
        }
        assertThat(seen).containsAll(List.of(FrameType.values()));
        assertThat(vectors).filteredOn(Vector::invalid).hasSizeGreaterThanOrEqualTo(4);
        assertThat(vectors.stream().map(Vector::name).distinct().count()).isEqualTo(vectors.size());
    }
}
