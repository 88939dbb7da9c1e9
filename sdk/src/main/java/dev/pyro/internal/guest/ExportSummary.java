package dev.pyro.internal.guest;

/**
 * What {@code EXPORT_END} reports, checked against what arrived.
 *
 * @param entries entries sent, the root included
 * @param bytes file data bytes sent
 * @param skipped fifos, sockets and devices the agent left out
 */
public record ExportSummary(long entries, long bytes, long skipped) {
}
