package dev.pyro.internal.net;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The relay between QEMU and passt (user back end), run as its own small process so that it
 * lives exactly as long as the VM, also after the CLI that booted it exited. QEMU connects to
 * {@code listen}; the relay connects to passt's socket and copies frames both ways, dropping
 * guest frames {@link FrameFilter} refuses. Both sides speak QEMU's stream netdev format: each
 * frame is preceded by its length as a 32-bit big-endian number. Exits when either side goes
 * away (passt, started with {@code --one-off}, then exits too).
 *
 * <p>The relay must run in the host's network namespace (as passt does): it reads the host's own
 * addresses from there, every {@link #HOST_ADDRESS_REFRESH} while it runs, so that a guest
 * never reaches them (they change with DHCP, VPNs, new interfaces).
 *
 * <p>Arguments: {@code LISTEN_SOCKET PASST_SOCKET GUEST_MAC GUEST_IPV4 PLAN_JSON}, the last being
 * the VM's {@link NetworkPlan} ({@link NetworkPlan#toJson()}), from which the filter is built.
 */
public final class FrameRelayMain {
    /** Larger than any frame QEMU sends (64 KiB plus headers). */
    private static final int MAX_FRAME = 128 * 1024;

    /** {@code -Dpyro.netrelay.trace=true}: one line per guest frame on stderr (the relay's log). */
    private static final boolean TRACE = Boolean.getBoolean("pyro.netrelay.trace");
    /** How often the host's own addresses are read again. */
    static final java.time.Duration HOST_ADDRESS_REFRESH = java.time.Duration.ofSeconds(2);

    private FrameRelayMain() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        Path listen = Path.of(args[0]);
        Path passt = Path.of(args[1]);
        FrameFilter filter = FrameFilter.of(NetworkPlan.fromJson(args[4]), hostAddresses());
        Files.deleteIfExists(listen);
        SocketChannel guest;
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(listen), 1);
            guest = server.accept(); // QEMU, once
        } finally {
            Files.deleteIfExists(listen);
        }
        SocketChannel host = SocketChannel.open(UnixDomainSocketAddress.of(passt));
        // passt learns the guest's MAC from the guest's first frame and until then sends to the
        // broadcast address, which the guest's TCP ignores: a published port would stay dead
        // until the guest happened to send something. Announce the guest at once.
        writeFully(host, ByteBuffer.wrap(FrameFilter.announcement(args[2], args[3])));
        // Channel reads and writes from two threads are independent (a stream wrapper would
        // serialise them on the channel's lock and deadlock the two directions).
        Thread toHost = new Thread(() -> filterFrames(filter, guest, host), "guest-to-passt");
        toHost.setDaemon(true);
        toHost.start();
        copy(host, guest);
        System.exit(0); // passt went away: the VM's network is gone, and so is this relay
    }

    /**
     * Guest to passt: frame by frame, through the filter. Each frame goes out with its length in
     * one write: passt (of Debian 12) reads a frame and its length prefix from one recv() and
     * misreads a frame whose length arrived alone.
     */
    private static void filterFrames(FrameFilter filter, SocketChannel guest, SocketChannel host) {
        ByteBuffer packet = ByteBuffer.allocate(4 + MAX_FRAME);
        try {
            while (readFully(guest, packet.clear().limit(4))) {
                int n = packet.getInt(0);
                if (n < 0 || n > MAX_FRAME || !readFully(guest, packet.limit(4 + n))) {
                    break; // not the stream format, or QEMU went away mid-frame
                }
                FrameFilter.Verdict verdict = filter.check(packet.array(), 4, n);
                if (TRACE) {
                    System.err.println("frame " + n + " bytes, type " + Integer.toHexString(((packet.get(16) & 0xff) << 8)
                            | (packet.get(17) & 0xff)) + (verdict.passes() ? " passed" : " dropped") + " (" + verdict + ")");
                }
                if (verdict.passes()) {
                    writeFully(host, packet.flip());
                }
            }
        } catch (IOException e) {
            // either side closed
        }
        System.exit(0); // QEMU went away: nothing more to relay
    }

    /** passt to guest: bytes as they come (frames from passt need no check). */
    private static void copy(SocketChannel from, SocketChannel to) {
        ByteBuffer buf = ByteBuffer.allocateDirect(MAX_FRAME);
        try {
            while (from.read(buf.clear()) > 0) {
                if (TRACE) {
                    byte[] head = new byte[Math.min(buf.position(), 50)];
                    buf.get(0, head);
                    System.err.println("to guest " + buf.position() + " bytes: " + java.util.HexFormat.of().formatHex(head));
                }
                writeFully(to, buf.flip());
            }
        } catch (IOException e) {
            // either side closed
        }
    }

    /** The host's own addresses, read now and then again every {@link #HOST_ADDRESS_REFRESH}. */
    private static java.util.function.Supplier<java.util.Set<Integer>> hostAddresses() {
        java.util.concurrent.atomic.AtomicReference<java.util.Set<Integer>> current =
                new java.util.concurrent.atomic.AtomicReference<>(java.util.Set.copyOf(HostNetwork.ownAddresses()));
        Thread refresh = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(HOST_ADDRESS_REFRESH.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
                current.set(java.util.Set.copyOf(HostNetwork.ownAddresses()));
            }
        }, "host-addresses");
        refresh.setDaemon(true);
        refresh.start();
        return current::get;
    }

    private static boolean readFully(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                return false;
            }
        }
        return true;
    }

    private static void writeFully(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
