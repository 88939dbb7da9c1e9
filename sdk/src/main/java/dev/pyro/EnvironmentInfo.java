package dev.pyro;

import java.util.Locale;
import java.util.Optional;

/**
 * One environment of the catalog and its state in the local cache.
 *
 * @param name the stable name users type, e.g. {@code debian:12}
 * @param description one line on what it is for
 * @param version the installed version, else the catalog's
 * @param isDefault whether it is the default environment ({@link Pyro#DEFAULT_ENVIRONMENT})
 * @param installed true only when its manifest and every boot artifact are present and verified
 *     (size and time checked on every use, sha256 at install)
 * @param source where the installed image came from, when there is one
 * @param sizeBytes bytes on disk of its own files (the root image; a pulled one also counts the
 *     kernel it brought); 0 when not installed
 * @param digest {@code sha256:...}: for a pulled environment the OCI manifest digest (pin it with
 *     {@code ENV@digest}), for a built one the sha256 of its root image
 * @param reference where a pulled environment came from ({@code registry/repository:tag})
 * @param state the image's state: ready, missing, stale or corrupt
 * @param detail what the state means and what to run, when not ready
 * @param capabilities what was proven with exactly its installed artifacts
 */
public record EnvironmentInfo(String name, String description, String version, boolean isDefault, boolean installed,
        Optional<Source> source, long sizeBytes, Optional<String> digest, Optional<String> reference,
        RuntimeStatus.State state, Optional<String> detail, Capabilities capabilities) {

    /** Where an installed environment came from. */
    public enum Source {
        /** Built on this machine from the tracked recipes. */
        BUILT,
        /** Pulled from an OCI registry (with its own kernel). */
        PULLED;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
