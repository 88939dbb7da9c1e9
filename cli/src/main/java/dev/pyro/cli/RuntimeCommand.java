package dev.pyro.cli;

import dev.pyro.JsonViews;
import dev.pyro.ProgressListener;
import dev.pyro.Pyro;
import dev.pyro.RuntimeStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code pyro runtime ...}: build and inspect the guest runtime (kernel, agent, root images). */
@Command(name = "runtime",
        description = "Build and inspect the guest runtime: kernel, guest agent and environment images.",
        mixinStandardHelpOptions = true,
        subcommands = {
            RuntimeCommand.BuildKernel.class,
            RuntimeCommand.BuildAgent.class,
            RuntimeCommand.BuildRootfs.class,
            RuntimeCommand.Materialize.class,
            RuntimeCommand.Status.class})
final class RuntimeCommand implements Runnable {
    @ParentCommand
    PyroCommand parent;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(parent.terminal().outWriter());
    }

    /** Shared shape: run one SDK call with progress, then print the runtime status. */
    abstract static class Step implements Callable<Integer> {
        @ParentCommand
        RuntimeCommand runtime;

        @Option(names = "--json", description = "Print the resulting runtime status as JSON; no progress output.")
        boolean json;

        abstract RuntimeStatus apply(Pyro pyro);

        @Override
        public Integer call() {
            Terminal terminal = runtime.parent.terminal();
            ProgressRenderer progress = json ? null : new ProgressRenderer(terminal.errPrintStream(), terminal.errIsTty());
            RuntimeStatus status;
            try {
                status = apply(runtime.parent.pyro(progress == null ? ProgressListener.NONE : progress));
            } finally {
                if (progress != null) {
                    progress.finish();
                }
            }
            if (json) {
                terminal.println(Json.write(JsonViews.runtime(status)));
            } else {
                terminal.out().print(HumanViews.runtime(status));
            }
            terminal.flush();
            return 0;
        }
    }

    @Command(name = "build-kernel", mixinStandardHelpOptions = true,
            description = {"Build the guest kernel (bzImage and vmlinux) from the pinned linux-source-6.1 package.",
                "Rebuilds only when an input changed. PYRO_KERNEL_BUILD_JOBS sets the parallelism."})
    static final class BuildKernel extends Step {
        @Option(names = "--force", description = "Rebuild even if nothing changed.")
        boolean force;

        @Override
        RuntimeStatus apply(Pyro pyro) {
            return pyro.buildKernel(force);
        }
    }

    @Command(name = "build-agent", mixinStandardHelpOptions = true,
            description = "Build the static guest agent from its C source.")
    static final class BuildAgent extends Step {
        @Option(names = "--force", description = "Rebuild even if nothing changed.")
        boolean force;

        @Override
        RuntimeStatus apply(Pyro pyro) {
            return pyro.buildAgent(force);
        }
    }

    @Command(name = "build-rootfs", mixinStandardHelpOptions = true,
            description = "Build an environment's read-only ext4 root image (Debian bookworm + the guest agent).")
    static final class BuildRootfs extends Step {
        @Parameters(index = "0", paramLabel = "ENV", description = "Environment, e.g. debian:12.")
        String environment;

        @Option(names = "--force", description = "Rebuild even if nothing changed.")
        boolean force;

        @Override
        RuntimeStatus apply(Pyro pyro) {
            return pyro.buildRootfs(environment, force);
        }
    }

    @Command(name = "materialize", mixinStandardHelpOptions = true,
            description = {"Build everything that is missing (kernel, agent, environment images), then prove",
                "the capabilities with a real boot and exec and record them in runtime.lock.json."})
    static final class Materialize extends Step {
        @Parameters(paramLabel = "ENV", arity = "0..*",
                description = "Environments to build (default: debian:12).")
        List<String> environments = new ArrayList<>();

        @Override
        RuntimeStatus apply(Pyro pyro) {
            return pyro.materialize(environments);
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show each runtime component (version, sha256, path, state) and the capability flags.")
    static final class Status extends Step {
        @Option(names = "--verify", description = "Re-hash every artifact to detect corruption (slower).")
        boolean verify;

        @Override
        RuntimeStatus apply(Pyro pyro) {
            return pyro.runtimeStatus(verify);
        }
    }

}
