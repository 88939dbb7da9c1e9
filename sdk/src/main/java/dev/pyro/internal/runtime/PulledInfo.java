package dev.pyro.internal.runtime;

import java.util.List;

/**
 * {@code pulled.json}: an environment installed from a registry, written last into the staging
 * directory, so a directory with a readable pulled.json and intact files is a complete install.
 *
 * @param schema format version of this file
 * @param key the first 16 hex digits of the manifest digest (the directory name)
 * @param keyInputs {@code reference@digest}
 * @param environment the environment name
 * @param reference what was pulled, {@code registry/repository:tag}
 * @param digest the OCI manifest digest
 * @param configDigest the config blob's digest
 * @param layers the layers as the manifest listed them
 * @param config the environment config (what the environment is, its kernel, its packages)
 * @param files every installed file: bzImage, vmlinux, rootfs.ext4, manifest.json, config.json, oci-manifest.json
 * @param pulledAt ISO-8601 time of the install
 * @param downloadedBytes bytes received for this install (resumed bytes not counted)
 */
public record PulledInfo(
        int schema,
        String key,
        String keyInputs,
        String environment,
        String reference,
        String digest,
        String configDigest,
        List<Layer> layers,
        EnvironmentConfig config,
        List<InstalledFile> files,
        String pulledAt,
        long downloadedBytes) implements ComponentInfo {
    static final String FILE = "pulled.json";
    static final String CONFIG = "config.json";
    static final String OCI_MANIFEST = "oci-manifest.json";

    public PulledInfo {
        layers = layers == null ? List.of() : List.copyOf(layers);
        files = files == null ? List.of() : List.copyOf(files);
    }

    /** One layer of the pulled manifest. */
    public record Layer(String mediaType, String digest, long size, String file) {
    }
}
