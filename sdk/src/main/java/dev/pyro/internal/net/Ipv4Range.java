package dev.pyro.internal.net;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * An IPv4 network in CIDR form ({@code 10.0.0.0/8}), normalised so that the host bits are zero.
 * Both back ends' egress filters are built from these: the relay tests addresses against them,
 * the tap back end writes them into nftables sets.
 *
 * @param base the first address, host bits zero
 * @param prefix the prefix length, 0 to 32
 */
public record Ipv4Range(int base, int prefix) {
    public Ipv4Range {
        if (prefix < 0 || prefix > 32) {
            throw new IllegalArgumentException("prefix " + prefix + " is outside 0-32");
        }
        base &= mask(prefix);
    }

    private static int mask(int prefix) {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    /**
     * Parses {@code a.b.c.d/n} or a single address {@code a.b.c.d} (a /32). Host bits are
     * cleared ({@code 10.1.2.3/8} is {@code 10.0.0.0/8}).
     *
     * @return empty when {@code text} is not an IPv4 address or CIDR
     */
    public static Optional<Ipv4Range> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String s = text.strip();
        int slash = s.indexOf('/');
        int prefix = 32;
        if (slash >= 0) {
            String p = s.substring(slash + 1);
            if (!p.matches("\\d{1,2}")) {
                return Optional.empty();
            }
            prefix = Integer.parseInt(p);
            if (prefix > 32) {
                return Optional.empty();
            }
            s = s.substring(0, slash);
        }
        OptionalAddress a = address(s);
        return a.valid ? Optional.of(new Ipv4Range(a.value, prefix)) : Optional.empty();
    }

    /** A dotted-quad address as an int; empty when it is not one. */
    public static Optional<Integer> parseAddress(String text) {
        OptionalAddress a = address(text == null ? "" : text.strip());
        return a.valid ? Optional.of(a.value) : Optional.empty();
    }

    private record OptionalAddress(boolean valid, int value) {
    }

    private static OptionalAddress address(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return new OptionalAddress(false, 0);
        }
        int a = 0;
        for (String part : parts) {
            // Decimal only, no leading zeros: inet_aton would read 010 as octal 8, and a range that
            // means one thing here and another to a resolver or nft is not one to open.
            if (!part.matches("0|[1-9]\\d{0,2}")) {
                return new OptionalAddress(false, 0);
            }
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                return new OptionalAddress(false, 0);
            }
            a = (a << 8) | octet;
        }
        return new OptionalAddress(true, a);
    }

    public boolean contains(int address) {
        return (address & mask(prefix)) == base;
    }

    /** Whether every address of {@code other} is in this range. */
    public boolean contains(Ipv4Range other) {
        return other.prefix >= prefix && contains(other.base);
    }

    /** Whether the two ranges share an address (CIDR ranges either nest or are apart). */
    public boolean overlaps(Ipv4Range other) {
        return contains(other) || other.contains(this);
    }

    /** The ranges without those contained in another of them, sorted: each address once in an nftables set. */
    public static List<Ipv4Range> minimal(List<Ipv4Range> ranges) {
        List<Ipv4Range> distinct = new ArrayList<>(new java.util.LinkedHashSet<>(ranges));
        List<Ipv4Range> out = new ArrayList<>();
        for (Ipv4Range r : distinct) {
            if (distinct.stream().noneMatch(o -> !o.equals(r) && o.contains(r))) {
                out.add(r);
            }
        }
        out.sort(Comparator.comparingLong(r -> Integer.toUnsignedLong(r.base)));
        return out;
    }

    public static String dotted(int a) {
        return AddressPool.dotted(a);
    }

    @Override
    public String toString() {
        return dotted(base) + "/" + prefix;
    }
}
