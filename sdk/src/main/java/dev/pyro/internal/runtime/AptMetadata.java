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

    /**
     * Compares two Debian version strings as dpkg does ({@code [epoch:]upstream[-revision]};
     * letters sort before non-letters, {@code ~} before everything, even the end).
     */
    static int compareVersions(String a, String b) {
        int epochA = epoch(a);
        int epochB = epoch(b);
        if (epochA != epochB) {
            return Integer.compare(epochA, epochB);
        }
        String restA = a.substring(a.indexOf(':') + 1);
        String restB = b.substring(b.indexOf(':') + 1);
        int dashA = restA.lastIndexOf('-');
        int dashB = restB.lastIndexOf('-');
        int upstream = compareFragment(dashA < 0 ? restA : restA.substring(0, dashA),
                dashB < 0 ? restB : restB.substring(0, dashB));
        if (upstream != 0) {
            return upstream;
        }
        return compareFragment(dashA < 0 ? "" : restA.substring(dashA + 1), dashB < 0 ? "" : restB.substring(dashB + 1));
    }

    private static int epoch(String version) {
        int colon = version.indexOf(':');
        if (colon < 0) {
            return 0;
        }
        try {
            return Integer.parseInt(version.substring(0, colon));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** dpkg's verrevcmp: alternating non-digit and digit runs. */
    private static int compareFragment(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() || j < b.length()) {
            int firstDiff = 0;
            while ((i < a.length() && !Character.isDigit(a.charAt(i)))
                    || (j < b.length() && !Character.isDigit(b.charAt(j)))) {
                int ac = order(a, i);
                int bc = order(b, j);
                if (ac != bc) {
                    return Integer.compare(ac, bc);
                }
                i++;
                j++;
            }
            while (i < a.length() && a.charAt(i) == '0') {
                i++;
            }
            while (j < b.length() && b.charAt(j) == '0') {
                j++;
            }
            while (i < a.length() && Character.isDigit(a.charAt(i))
                    && j < b.length() && Character.isDigit(b.charAt(j))) {
                if (firstDiff == 0) {
                    firstDiff = a.charAt(i) - b.charAt(j);
                }
                i++;
                j++;
            }
            if (i < a.length() && Character.isDigit(a.charAt(i))) {
                return 1;
            }
            if (j < b.length() && Character.isDigit(b.charAt(j))) {
                return -1;
            }
            if (firstDiff != 0) {
                return Integer.signum(firstDiff);
            }
        }
        return 0;
    }

    private static int order(String s, int index) {
        if (index >= s.length()) {
            return 0;
        }
        char c = s.charAt(index);
        if (Character.isDigit(c)) {
            return 0;
        }
        if (Character.isLetter(c)) {
            return c;
        }
        if (c == '~') {
            return -1;
        }
        return c + 256;
    }
}
