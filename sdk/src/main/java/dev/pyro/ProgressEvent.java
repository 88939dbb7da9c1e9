package dev.pyro;

/**
 * One step of long work (a kernel build, a root filesystem build, a boot, a pull).
 *
 * @param task short, stable name of the work, e.g. {@code "kernel"}, {@code "rootfs"}, {@code "boot"}
 * @param message human-readable description of the current step
 * @param done units done so far, or -1 when unknown
 * @param total units in all, or -1 when unknown
 */
public record ProgressEvent(String task, String message, long done, long total) {
    public static ProgressEvent of(String task, String message) {
        return new ProgressEvent(task, message, -1, -1);
    }

    /** Fraction done in [0, 1], or -1 when unknown. */
    public double fraction() {
        return total > 0 && done >= 0 ? Math.min(1.0, (double) done / total) : -1;
    }
}
