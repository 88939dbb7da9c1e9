package dev.pyro.internal.guest;

/**
 * What {@code IMPORT_OK} reports.
 *
 * @param entries entries written
 * @param bytes the sum of the files' sizes
 */
public record ImportSummary(long entries, long bytes) {
}
