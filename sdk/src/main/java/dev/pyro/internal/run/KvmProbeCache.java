package dev.pyro.internal.run;

import dev.pyro.internal.engine.qemu.KvmProbe;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Remembers the last KVM probe verdict in the cache directory, so that a {@code pyro run}
 * does not pay a probe boot each time. The verdict is reused only while every input it
 * depends on (QEMU, its version, the kernel file, the host kernel) is unchanged.
 */
final class KvmProbeCache {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final Path file;

    KvmProbeCache(Path file) {
        this.file = file;
    }

    Optional<KvmProbe.Result> get(KvmProbe.Inputs inputs) {
        try {
            if (!Files.isRegularFile(file)) {
                return Optional.empty();
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> m = JSON.readValue(file.toFile(), Map.class);
            if (!key(inputs).equals(m.get("inputs"))) {
                return Optional.empty();
            }
            return Optional.of(new KvmProbe.Result(inputs, (Boolean) m.get("device_present"),
                    (Boolean) m.get("device_opens"), (Boolean) m.get("usable"), (String) m.get("reason"),
                    Duration.ofMillis(((Number) m.get("took_ms")).longValue())));
        } catch (JacksonException | ClassCastException | NullPointerException e) {
            return Optional.empty(); // a damaged cache entry is simply probed again
        }
    }

    void put(KvmProbe.Result result) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("inputs", key(result.inputs()));
        m.put("device_present", result.devicePresent());
        m.put("device_opens", result.deviceOpens());
        m.put("usable", result.usable());
        m.put("reason", result.reason());
        m.put("took_ms", result.took().toMillis());
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".kvm-probe", ".tmp");
            Files.write(tmp, JSON.writeValueAsBytes(m));
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | JacksonException e) {
            // Caching is an optimisation: without it the next run probes again.
        }
    }

    private static String key(KvmProbe.Inputs i) {
        return i.qemu() + "|" + i.qemuVersion() + "|" + i.kernel() + "|" + i.kernelSize() + "|"
                + i.kernelModifiedMillis() + "|" + i.hostKernel();
    }
}
