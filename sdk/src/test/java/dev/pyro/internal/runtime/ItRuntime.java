package dev.pyro.internal.runtime;

import dev.pyro.ProgressEvent;
import dev.pyro.ProgressListener;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The runtime the ITs build into: the cache named by the system property or environment
 * variable {@code PYRO_IT_CACHE_DIR}, else pyro's default cache. Builds are keyed, so repeat
 * runs reuse what an earlier run (or a real pyro) built. The ITs never record capabilities
 * in this cache: only real boots may do that.
 */
final class ItRuntime {
    private ItRuntime() {
    }

    static RuntimePaths paths() {
        String dir = System.getProperty("PYRO_IT_CACHE_DIR", System.getenv("PYRO_IT_CACHE_DIR"));
        RuntimePaths defaults = RuntimePaths.defaults();
        return dir == null || dir.isBlank() ? defaults : new RuntimePaths(Path.of(dir), defaults.homeDir());
    }

    static RuntimeBuilder builder() {
        return RuntimeBuilder.create(paths(), RuntimeSettings.fromEnvironment(System.getenv()));
    }

    /** Collects events and echoes the distinct messages, so a long IT shows what it does. */
    static final class Recorder implements ProgressListener {
        final List<ProgressEvent> events = new CopyOnWriteArrayList<>();
        private volatile String last = "";

        @Override
        public void onProgress(ProgressEvent event) {
            events.add(event);
            if (!event.message().equals(last)) {
                last = event.message();
                System.out.println("[" + event.task() + "] " + event.message()
                        + (event.total() > 0 ? " " + event.done() + "/" + event.total() : ""));
            }
        }

        boolean saw(String prefix) {
            return events.stream().anyMatch(e -> e.message().startsWith(prefix));
        }
    }
}
