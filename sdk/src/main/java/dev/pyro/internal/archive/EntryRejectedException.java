package dev.pyro.internal.archive;

import dev.pyro.PyroException;

/**
 * An entry broke a transfer rule. The message is one line: what the entry is (e.g.
 * {@code archive entry '../x'}), the rule, and that nothing was imported or written, e.g.
 * {@code archive entry '../x': '..' escapes the destination; nothing was imported (remove or
 * rename that entry)}.
 */
public final class EntryRejectedException extends PyroException {
    private static final long serialVersionUID = 1L;

    private final String entry;
    private final String rule;

    EntryRejectedException(String message, String entry, String rule) {
        super(Kind.INVALID_ARGUMENT, message);
        this.entry = entry;
        this.rule = rule;
    }

    /**
     * @param label what the entries are, e.g. "archive entry", "seed directory entry"
     * @param path the entry's path as shown
     * @param rule the rule it breaks
     * @param consequence e.g. "nothing was imported"
     * @param advice what to do, or null for the default ("remove or rename that entry")
     */
    static EntryRejectedException of(String label, String path, String rule, String consequence, String advice) {
        String message = label + " '" + path + "': " + rule + "; " + consequence + " ("
                + (advice == null ? "remove or rename that entry" : advice) + ")";
        return new EntryRejectedException(message, path, rule);
    }

    /** The entry's path as shown in the message. */
    public String entry() {
        return entry;
    }

    /** The rule it broke. */
    public String rule() {
        return rule;
    }
}
