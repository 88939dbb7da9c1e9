package dev.pyro.internal.oci;

import java.util.List;

/**
 * An OCI image index or a Docker manifest list: manifests for several platforms or artifacts.
 *
 * @param schemaVersion always 2
 * @param mediaType {@link MediaTypes#OCI_INDEX} or {@link MediaTypes#DOCKER_MANIFEST_LIST}
 * @param manifests the entries
 */
public record ImageIndex(int schemaVersion, String mediaType, List<Descriptor> manifests) {
    public ImageIndex {
        manifests = manifests == null ? List.of() : List.copyOf(manifests);
    }
}
