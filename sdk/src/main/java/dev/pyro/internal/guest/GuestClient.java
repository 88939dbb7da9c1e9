package dev.pyro.internal.guest;

/** Host side of the guest protocol (docs/guest-protocol.md). */
public final class GuestClient {
}
