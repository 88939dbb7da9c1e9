package dev.pyro.internal.net;

import java.util.Set;

/**
 * Guest addresses: each networked VM gets its own /30 out of {@code 10.213.0.0/16}: the
 * subnet's first host address is the gateway (the host side), the second the guest. 16,384
 * slots; a VM's slot is picked from a hash of its id, skipping slots in use.
 */
public final class AddressPool {
    /** The pool's base address, {@code 10.213.0.0}. */
    static final int BASE = (10 << 24) | (213 << 16);
    public static final int PREFIX = 30;
    public static final int SLOTS = 1 << (32 - 16 - 2);
    /** The pool in CIDR form (nftables rules, docs). */
    public static final String CIDR = "10.213.0.0/16";
    /** The pool as a range: no guest reaches another's address, whatever it opened with allow-net. */
    public static final Ipv4Range RANGE = new Ipv4Range(BASE, 16);

    private AddressPool() {
    }

    public static String gateway(int slot) {
        return dotted(BASE + slot * 4 + 1);
    }

    public static String guest(int slot) {
        return dotted(BASE + slot * 4 + 2);
    }

    /** A locally administered MAC address derived from the slot (QEMU's 52:54:00 prefix). */
    public static String mac(int slot) {
        return String.format("52:54:00:d5:%02x:%02x", (slot >> 8) & 0xff, slot & 0xff);
    }

    /**
     * The first free slot starting from {@code id}'s hash.
     *
     * @throws IllegalStateException when every slot is taken
     */
    public static int pick(String id, Set<Integer> taken) {
        int start = Math.floorMod(id.hashCode() * 0x9E3779B1, SLOTS);
        for (int i = 0; i < SLOTS; i++) {
            int slot = (start + i) % SLOTS;
            if (!taken.contains(slot)) {
                return slot;
            }
        }
        throw new IllegalStateException("all " + SLOTS + " guest subnets of " + CIDR + " are in use");
    }

    /** The slot an address of the pool belongs to, or -1 if it is not in the pool. */
    public static int slotOf(String address) {
        String[] p = address.split("/")[0].split("\\.");
        if (p.length != 4) {
            return -1;
        }
        try {
            int a = 0;
            for (String part : p) {
                a = (a << 8) | Integer.parseInt(part);
            }
            if ((a & 0xffff0000) != BASE) {
                return -1;
            }
            return (a & 0xffff) >> 2;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static String dotted(int a) {
        return ((a >>> 24) & 0xff) + "." + ((a >>> 16) & 0xff) + "." + ((a >>> 8) & 0xff) + "." + (a & 0xff);
    }
}
