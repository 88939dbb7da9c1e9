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
    /**
     * The overlay root's upper layer (and so /workspace) really is on the writable disk named by
     * {@code pyro.upper=/dev/vdX}; without it the agent fell back to guest memory, and nothing
     * written survives a stop. Sent by agents from the multi-port release on.
     */
    public static final int FEATURE_UPPER_DISK = 4;
    /** The agent understands the file transfer frames (IMPORT, EXPORT, STAT). */
    public static final int FEATURE_TRANSFER = 8;
    /** The agent configured the guest network from {@code pyro.net}. */
    public static final int FEATURE_NET = 16;

    public boolean has(int feature) {
        return (features & feature) != 0;
    }
}
