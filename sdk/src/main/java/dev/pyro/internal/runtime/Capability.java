package dev.pyro.internal.runtime;

/**
 * What the materialised runtime has been proven able to do. A capability reads true only
 * after a real check passed on the exact artifacts installed now (the safety rule).
 */
public enum Capability {
    /** A VM booted with this kernel and image and its agent answered. */
    VM_BOOT("vm_boot"),
    /** A command ran in such a VM and its output and exit code came back. */
    GUEST_EXEC("guest_exec"),
    /**
     * A guest with a network device (user back end, allow-host) fetched a nonce from a server on
     * the host's loopback through host.pyro.internal.
     */
    GUEST_NETWORK("guest_network");

    private final String wireName;

    Capability(String wireName) {
        this.wireName = wireName;
    }

    /** The name used in runtime.lock.json and in front-end output. */
    public String wireName() {
        return wireName;
    }
}
