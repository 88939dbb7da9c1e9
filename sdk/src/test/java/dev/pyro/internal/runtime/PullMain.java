package dev.pyro.internal.runtime;

import dev.pyro.internal.host.HostTools;
import dev.pyro.internal.oci.OciSettings;
import java.nio.file.Path;
import java.util.Map;

/**
 * Run in a child JVM by the registry ITs: pulls {@code args[1]} into the cache {@code args[0]},
 * printing each progress event, so a test can kill it in the middle of a download.
 */
public final class PullMain {
    private PullMain() {
    }

    public static void main(String[] args) {
        Path cache = Path.of(args[0]);
        RuntimePaths paths = new RuntimePaths(cache, cache.resolve("home"));
        RuntimeBuilder runtime = new RuntimeBuilder(paths, RuntimeSettings.defaults(), Recipes.fromClasspath(),
                HostTools.fromEnvironment(System.getenv(), paths.logsDir(), paths.aptListsStamp()),
                OciSettings.fromEnvironment(Map.of(), Path.of("/nonexistent")));
        runtime.pull(args[1], event -> {
            System.out.println("[" + event.task() + "] " + event.message() + " " + event.done() + "/" + event.total());
            System.out.flush();
        });
        System.out.println("done");
    }
}
