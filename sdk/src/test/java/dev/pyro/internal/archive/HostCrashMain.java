package dev.pyro.internal.archive;

import dev.pyro.ProgressListener;
import java.nio.file.Path;

/** Child JVM for the crash test: pushes ARGS[1] into /workspace/app of workspace ARGS[0], halting before apply step ARGS[2]. */
public final class HostCrashMain {
    private HostCrashMain() {
    }

    public static void main(String[] args) {
        HostWorkspace ws = HostWorkspace.open(Path.of(args[0]));
        ws.testCrashApplyStep = Integer.parseInt(args[2]);
        Transfers.push(ws, Path.of(args[1]), "/workspace/app", ImportCaps.defaults(), ProgressListener.NONE);
        System.exit(0); // not reached when the step exists
    }
}
