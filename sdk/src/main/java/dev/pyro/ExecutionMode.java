package dev.pyro;

/** Where and over what channel a command ran. */
public enum ExecutionMode {
    /** In a guest VM, through the guest agent over a virtio-serial port. */
    GUEST_VIRTIO_SERIAL("guest_virtio_serial"),
    /** In a guest VM, through the guest agent over vsock. */
    GUEST_VSOCK("guest_vsock"),
    /** Directly on the host, without isolation; only when the caller allowed it. */
    HOST_COMPAT("host_compat");

    private final String wireName;

    ExecutionMode(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
