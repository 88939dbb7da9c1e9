package dev.pyro;

/**
 * What the materialised runtime has been proven to do on this machine. A flag is true only
 * after a real check passed against the current artifacts (a boot; an exec; a network probe).
 *
 * @param vmBoot a VM booted from the current kernel and root image and its agent answered
 * @param guestExec a command ran in such a VM and returned the expected output
 * @param guestNetwork a guest reached the network (false until networking exists)
 */
public record Capabilities(boolean vmBoot, boolean guestExec, boolean guestNetwork) {
    public static final Capabilities NONE = new Capabilities(false, false, false);
}
