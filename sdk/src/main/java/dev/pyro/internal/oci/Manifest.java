package dev.pyro.internal.oci;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * An OCI image manifest (also the shape of a Docker v2 schema 2 manifest).
 *
 * @param schemaVersion always 2
 * @param mediaType {@link MediaTypes#OCI_MANIFEST} (may be absent in old manifests)
 * @param artifactType what the artifact is, {@link MediaTypes#PYRO_ENVIRONMENT} for pyro's
 * @param config the config blob
 * @param layers the content blobs, in order
 * @param annotations free-form metadata
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Manifest(int schemaVersion, String mediaType, String artifactType, Descriptor config,
        List<Descriptor> layers, Map<String, String> annotations) {
    public Manifest {
        layers = layers == null ? List.of() : List.copyOf(layers);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }
}
