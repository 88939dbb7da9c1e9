package dev.pyro;

/** Receives progress of long work. Called from SDK threads; must not block for long. */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = event -> { };

    void onProgress(ProgressEvent event);
}
