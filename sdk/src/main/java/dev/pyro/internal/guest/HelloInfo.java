package dev.pyro.internal.guest;

/**
 * What the guest agent said in {@code HELLO_OK}.
 *
 * @param protocolVersion the agent's protocol version
 * @param agentVersion the agent's version string
 * @param kernelRelease the guest kernel's release ({@code uname -r})
 * @param features feature bits (see docs/guest-protocol.md)
 */
public record HelloInfo(int protocolVersion, String agentVersion, String kernelRelease, int features) {
    public static final int FEATURE_CGROUP_KILL = 1;
    public static final int FEATURE_VSOCK = 2;
    /** The overlay's writable layer is on the requested disk (changes persist). */
    public static final int FEATURE_UPPER_DISK = 4;
    /** IMPORT, EXPORT and STAT are available. */
    public static final int FEATURE_TRANSFER = 8;
    public static final int FEATURE_NET = 16;

    public boolean has(int feature) {
        return (features & feature) != 0;
    }
}
