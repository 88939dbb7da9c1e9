package dev.pyro.internal.oci;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * An OCI content descriptor: what a manifest says about a blob or another manifest.
 *
 * @param mediaType the content's type
 * @param digest {@code sha256:<hex>} of the content
 * @param size bytes
 * @param annotations e.g. {@code org.opencontainers.image.title}
 * @param artifactType in an index: the artifact type of the manifest it points at
 * @param platform in an index: the platform of the manifest it points at
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Descriptor(String mediaType, String digest, long size, Map<String, String> annotations,
        String artifactType, Platform platform) {

    /** The annotation naming a layer's file. */
    public static final String TITLE = "org.opencontainers.image.title";

    public Descriptor {
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    /** A blob descriptor. */
    public static Descriptor of(String mediaType, String digest, long size, Map<String, String> annotations) {
        return new Descriptor(mediaType, digest, size, annotations, null, null);
    }

    /** The {@code org.opencontainers.image.title} annotation, or null. */
    public String title() {
        return annotations.get(TITLE);
    }

    /** An index entry's platform. */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Platform(String architecture, String os) {
    }
}
