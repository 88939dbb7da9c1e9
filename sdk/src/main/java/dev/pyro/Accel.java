package dev.pyro;

/** How the VM's CPU is virtualised. */
public enum Accel {
    /** Hardware virtualisation through /dev/kvm. */
    KVM,
    /** QEMU's software emulation (TCG): works everywhere, several times slower. */
    TCG,
    /** No VM at all (host-compat execution). */
    NONE;

    /** The lower-case name used in JSON and on the command line. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
