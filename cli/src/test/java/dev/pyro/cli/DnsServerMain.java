package dev.pyro.cli;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A tiny authoritative DNS server over UDP for one name: the nameserver of the network tests'
 * "world" namespace. The name resolves (type A) to the answer address (by default the address
 * the server listens on); any other name gets NXDOMAIN, other query types for the name get an
 * empty answer. So a guest that resolves the name proves its queries reached this server through
 * the path pyro gave it. Arguments: address, port, name[, answer address]. Prints "ready" once it
 * listens.
 */
public final class DnsServerMain {
    private static final int TYPE_A = 1;
    private static final int RCODE_NXDOMAIN = 3;

    private DnsServerMain() {
    }

    public static void main(String[] args) throws Exception {
        InetAddress address = InetAddress.getByName(args[0]);
        String name = args[2].toLowerCase(java.util.Locale.ROOT);
        byte[] answer = (args.length > 3 ? InetAddress.getByName(args[3]) : address).getAddress();
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(address, Integer.parseInt(args[1])))) {
            System.out.println("ready");
            System.out.flush();
            byte[] buf = new byte[512];
            while (true) {
                DatagramPacket query = new DatagramPacket(buf, buf.length);
                socket.receive(query);
                byte[] reply = answer(Arrays.copyOf(buf, query.getLength()), name, answer);
                if (reply != null) {
                    socket.send(new DatagramPacket(reply, reply.length, query.getSocketAddress()));
                }
            }
        }
    }

    /** The reply to one query, or null when the packet is not a single-question query. */
    static byte[] answer(byte[] q, String name, byte[] ipv4) {
        if (q.length < 12 || (q[2] & 0x80) != 0 || ((q[4] << 8) | (q[5] & 0xff)) != 1) {
            return null;
        }
        StringBuilder qname = new StringBuilder();
        int i = 12;
        while (i < q.length && q[i] != 0) {
            int len = q[i] & 0xff;
            if (len > 63 || i + 1 + len > q.length) {
                return null;
            }
            if (qname.length() > 0) {
                qname.append('.');
            }
            qname.append(new String(q, i + 1, len, StandardCharsets.US_ASCII));
            i += 1 + len;
        }
        int questionEnd = i + 5; // the root label, QTYPE and QCLASS
        if (questionEnd > q.length) {
            return null;
        }
        int qtype = ((q[i + 1] & 0xff) << 8) | (q[i + 2] & 0xff);
        boolean known = qname.toString().toLowerCase(java.util.Locale.ROOT).equals(name);
        boolean withAnswer = known && qtype == TYPE_A;
        ByteBuffer r = ByteBuffer.allocate(questionEnd + 16);
        r.put(q, 0, 2); // id
        r.put((byte) (0x84 | (q[2] & 0x01))); // response, authoritative, RD copied
        r.put((byte) (known ? 0 : RCODE_NXDOMAIN));
        r.putShort((short) 1).putShort((short) (withAnswer ? 1 : 0)).putShort((short) 0).putShort((short) 0);
        r.put(q, 12, questionEnd - 12);
        if (withAnswer) {
            r.putShort((short) 0xc00c).putShort((short) TYPE_A).putShort((short) 1).putInt(60).putShort((short) 4)
                    .put(ipv4);
        }
        return Arrays.copyOf(r.array(), r.position());
    }
}
