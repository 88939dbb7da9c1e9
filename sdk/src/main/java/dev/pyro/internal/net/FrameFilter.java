package dev.pyro.internal.net;

/**
 * Which Ethernet frames from the guest may reach passt (the user back end). passt turns each
 * guest TCP/UDP flow into a socket of its own on the host and connects it wherever the frame
 * says; a guest whose root user crafts a frame addressed to 127.0.0.1 would so reach the host's
 * loopback services, whatever {@code --no-map-gw} says. Such frames never leave the relay.
 * Pure, so it is unit-tested frame by frame.
 */
public final class FrameFilter {
    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int ETHERTYPE_ARP = 0x0806;
    private static final int ETH_HEADER = 14;
    private static final int IPV4_MIN_HEADER = 20;

    private FrameFilter() {
    }

    /**
     * A gratuitous ARP request from the guest ({@code mac}, {@code ipv4}), with its stream
     * length prefix: what the relay sends passt first, so passt knows the guest's MAC.
     */
    public static byte[] announcement(String mac, String ipv4) {
        byte[] m = java.util.HexFormat.of().parseHex(mac.replace(":", ""));
        byte[] ip = new byte[4];
        String[] parts = ipv4.split("\\.");
        for (int i = 0; i < 4; i++) {
            ip[i] = (byte) Integer.parseInt(parts[i]);
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + 42);
        b.putInt(42);
        b.put(new byte[] {-1, -1, -1, -1, -1, -1}).put(m).putShort((short) ETHERTYPE_ARP);
        b.putShort((short) 1).putShort((short) ETHERTYPE_IPV4).put((byte) 6).put((byte) 4).putShort((short) 1);
        b.put(m).put(ip).put(new byte[6]).put(ip);
        return b.array();
    }

    /** Whether the guest's frame {@code frame[0..length)} may go on to passt. */
    public static boolean allowed(byte[] frame, int length) {
        return allowed(frame, 0, length);
    }

    /** Whether the guest's frame {@code buffer[offset..offset+length)} may go on to passt. */
    public static boolean allowed(byte[] buffer, int offset, int length) {
        if (length < ETH_HEADER) {
            return false;
        }
        int type = ((buffer[offset + 12] & 0xff) << 8) | (buffer[offset + 13] & 0xff);
        if (type == ETHERTYPE_ARP) {
            return true;
        }
        if (type != ETHERTYPE_IPV4 || length < ETH_HEADER + IPV4_MIN_HEADER) {
            return false; // IPv6 (passt runs IPv4-only), VLAN tags and anything else: nothing passt needs
        }
        int firstOctet = buffer[offset + ETH_HEADER + 16] & 0xff;
        // 127.0.0.0/8 is the host's loopback once passt connects; 0.0.0.0/8 means "this host" too.
        return firstOctet != 127 && firstOctet != 0;
    }
}
