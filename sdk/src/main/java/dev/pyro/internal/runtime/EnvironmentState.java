package dev.pyro.internal.runtime;

/**
 * An environment's state: the {@code rootfs:<name>} component status, where its image came
 * from, and, when it can boot now, what to boot.
 *
 * @param recipe the catalog entry
 * @param status the image's component status (ready, missing, stale, corrupt)
 * @param source {@link RuntimeLock#BUILT}, {@link RuntimeLock#PULLED}, or null when nothing is installed
 * @param installed the bootable artifacts, or null when the environment cannot boot now
 *     (its image, or for a built one the kernel or agent, is not ready)
 */
public record EnvironmentState(EnvironmentRecipe recipe, ComponentStatus status, String source,
        InstalledEnvironment installed) {

    public String name() {
        return recipe.name();
    }

    /** Installed and verified: manifest and every boot artifact present and intact. */
    public boolean isInstalled() {
        return installed != null;
    }
}
