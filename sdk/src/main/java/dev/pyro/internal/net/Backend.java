package dev.pyro.internal.net;

import java.util.Locale;

/** How a guest's network device reaches the host (docs/networking.md). */
public enum Backend {
    /** Rootless user-mode networking: a passt process per VM, QEMU connected to it over a unix socket. */
    USER("user"),
    /** A TAP device per VM plus nftables NAT; needs CAP_NET_ADMIN. */
    TAP("tap");

    private final String wireName;

    Backend(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Backend of(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (Backend b : values()) {
            if (b.wireName.equals(n)) {
                return b;
            }
        }
        throw new IllegalArgumentException("unknown network back end " + name);
    }
}
