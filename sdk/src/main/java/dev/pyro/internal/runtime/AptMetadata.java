package dev.pyro.internal.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Parsers for apt-cache's output. */
final class AptMetadata {
    private AptMetadata() {
    }

    /**
     * The versions in {@code apt-cache madison PKG} output, in apt's order (newest first),
     * without duplicates. Lines look like {@code linux-source-6.1 | 6.1.192-2 | http://... Packages};
     * Sources lines are skipped.
     */
    static List<String> madisonVersions(String output) {
        List<String> versions = new ArrayList<>();
        for (String line : output.split("\n")) {
            String[] fields = line.split("\\|");
            if (fields.length >= 3 && !fields[2].strip().endsWith("Sources")) {
                String version = fields[1].strip();
                if (!version.isEmpty() && !versions.contains(version)) {
                    versions.add(version);
                }
            }
        }
        return versions;
    }

    /** The fields of the first stanza of {@code apt-cache show PKG=VERSION} output. */
    static Map<String, String> firstStanza(String output) {
        Map<String, String> fields = new LinkedHashMap<>();
        String current = null;
        for (String line : output.split("\n")) {
            if (line.isBlank()) {
                if (!fields.isEmpty()) {
                    break;
                }
                continue;
            }
            if ((line.startsWith(" ") || line.startsWith("\t")) && current != null) {
                fields.put(current, fields.get(current) + "\n" + line.strip());
                continue;
            }
            int colon = line.indexOf(':');
            if (colon > 0) {
                current = line.substring(0, colon);
                fields.put(current, line.substring(colon + 1).strip());
            }
        }
        return fields;
    }
}
