package dev.pyro.internal.runtime;

import java.nio.file.Path;

/**
 * One component's status.
 *
 * @param id {@code kernel}, {@code agent} or {@code rootfs:<environment>}
 * @param state missing, ready, stale or corrupt
 * @param version kernel release and source version, agent source hash, or environment version;
 *     null when nothing is installed
 * @param sha256 the artifact's SHA-256 (bzImage, agent binary, image); null when missing
 * @param path the artifact file; null when missing
 * @param detail why it is not ready, or null
 */
public record ComponentStatus(String id, ComponentState state, String version, String sha256, Path path,
        String detail) {

    static ComponentStatus missing(String id, String detail) {
        return new ComponentStatus(id, ComponentState.MISSING, null, null, null, detail);
    }

    public boolean ready() {
        return state == ComponentState.READY;
    }
}
