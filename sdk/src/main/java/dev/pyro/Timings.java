package dev.pyro;

/**
 * Where a run's wall time went, in milliseconds.
 *
 * @param bootMs from starting the VMM to the guest agent's first answer (0 for host-compat)
 * @param execMs from sending the command to its exit
 * @param teardownMs from the command's exit to the VMM being gone and its files removed
 */
public record Timings(long bootMs, long execMs, long teardownMs) {
}
