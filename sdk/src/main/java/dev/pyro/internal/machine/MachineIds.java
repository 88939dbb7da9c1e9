package dev.pyro.internal.machine;

import dev.pyro.PyroException;
import dev.pyro.internal.state.MachineKind;
import dev.pyro.internal.state.MachineRecord;
import java.util.Comparator;
import java.util.List;

/**
 * Finds a machine by id: the exact id, or a unique prefix of one (as docker does); otherwise a
 * NOT_FOUND error that lists the closest ids of that kind.
 */
final class MachineIds {
    private MachineIds() {
    }

    static MachineRecord find(List<MachineRecord> all, MachineKind kind, String id) {
        String what = noun(kind);
        if (id == null || id.isBlank()) {
            throw PyroException.invalidArgument("no " + what + " id given; list them with: pyro " + what + " list");
        }
        List<MachineRecord> ofKind = all.stream().filter(m -> m.kind() == kind).toList();
        for (MachineRecord m : ofKind) {
            if (m.id().equals(id)) {
                return m;
            }
        }
        List<MachineRecord> prefixed = ofKind.stream().filter(m -> m.id().startsWith(id)).toList();
        if (prefixed.size() == 1) {
            return prefixed.get(0);
        }
        if (prefixed.size() > 1) {
            throw PyroException.invalidArgument("'" + id + "' matches several " + what + "s: "
                    + String.join(", ", prefixed.stream().map(MachineRecord::id).toList()) + "; give more of the id");
        }
        List<String> closest = ofKind.stream()
                .sorted(Comparator.comparingInt((MachineRecord m) -> distance(m.id(), id)))
                .limit(3)
                .map(m -> m.id() + " (" + m.state().wireName() + ")")
                .toList();
        String known = closest.isEmpty() ? "there are none; create one with: pyro " + what + " create ENV"
                : "closest: " + String.join(", ", closest);
        throw new PyroException(PyroException.Kind.NOT_FOUND, "unknown " + what + " '" + id + "'; " + known);
    }

    static String noun(MachineKind kind) {
        return kind == MachineKind.WORKSPACE ? "workspace" : "vm";
    }

    /** Levenshtein distance, for "did you mean". */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
