package dev.pyro.cli;

import dev.pyro.JsonViews;
import dev.pyro.ProgressListener;
import dev.pyro.Pyro;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code pyro env ...}: the environment catalog: list, build, pull, inspect, prune, publish. */
@Command(name = "env",
        description = {"Environments: list the catalog, build or pull one, inspect it, prune the cache, publish.",
            "PYRO_REGISTRY (e.g. registry.example:5000/pyro) is where `pull ENV` and first use pull from."},
        mixinStandardHelpOptions = true,
        subcommands = {
            EnvCommand.ListEnvs.class,
            EnvCommand.Build.class,
            EnvCommand.Pull.class,
            EnvCommand.Inspect.class,
            EnvCommand.Prune.class,
            EnvCommand.Publish.class})
final class EnvCommand implements Runnable {
    @ParentCommand
    PyroCommand parent;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(parent.terminal().outWriter());
    }

    /** Shared shape: one SDK call with progress on stderr, then its result as text or JSON on stdout. */
    abstract static class Step<T> implements Callable<Integer> {
        @ParentCommand
        EnvCommand env;

        @Option(names = "--json", description = "Print the result as JSON; no progress output.")
        boolean json;

        abstract T apply(Pyro pyro);

        abstract Map<String, Object> toJson(T result);

        abstract String toText(T result);

        /** Whether progress is worth showing (not for instant listings). */
        boolean showsProgress() {
            return true;
        }

        @Override
        public Integer call() {
            Terminal terminal = env.parent.terminal();
            ProgressRenderer progress = json || !showsProgress() ? null
                    : new ProgressRenderer(terminal.errPrintStream(), terminal.errIsTty());
            T result;
            try {
                result = apply(env.parent.pyro(progress == null ? ProgressListener.NONE : progress));
            } finally {
                if (progress != null) {
                    progress.finish();
                }
            }
            if (json) {
                terminal.println(Json.write(toJson(result)));
            } else {
                terminal.out().print(toText(result));
            }
            terminal.flush();
            return 0;
        }
    }

    /** A step whose result maps straight onto a JSON view and a text view. */
    abstract static class Simple<T> extends Step<T> {
        private final Function<T, Map<String, Object>> json;
        private final Function<T, String> text;

        Simple(Function<T, Map<String, Object>> json, Function<T, String> text) {
            this.json = json;
            this.text = text;
        }

        @Override
        Map<String, Object> toJson(T result) {
            return json.apply(result);
        }

        @Override
        String toText(T result) {
            return text.apply(result);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the environments: installed or not, source (built or pulled), size, digest.")
    static final class ListEnvs extends Simple<java.util.List<dev.pyro.EnvironmentInfo>> {
        ListEnvs() {
            super(JsonViews::environments, EnvViews::list);
        }

        @Override
        boolean showsProgress() {
            return false;
        }

        @Override
        java.util.List<dev.pyro.EnvironmentInfo> apply(Pyro pyro) {
            return pyro.environments();
        }
    }

    @Command(name = "build", mixinStandardHelpOptions = true,
            description = {"Build an environment locally from the tracked recipes (kernel and guest agent first,",
                "when missing) and use it from now on. Needs root (mmdebstrap)."})
    static final class Build extends Simple<dev.pyro.EnvironmentInfo> {
        @Parameters(index = "0", paramLabel = "ENV", description = "Environment, e.g. debian:12.")
        String environment;

        @Option(names = "--force", description = "Bootstrap and build the image again.")
        boolean force;

        Build() {
            super(JsonViews::environment, EnvViews::summary);
        }

        @Override
        dev.pyro.EnvironmentInfo apply(Pyro pyro) {
            return pyro.buildEnvironment(environment, force);
        }
    }

    @Command(name = "pull", mixinStandardHelpOptions = true,
            description = {"Pull an environment from an OCI registry, verify every blob and file, and install it.",
                "ENV comes from PYRO_REGISTRY (ENV@sha256:... pins a digest); a full REGISTRY/REPOSITORY:TAG",
                "reference works without it. An interrupted pull is resumed by the next one."})
    static final class Pull extends Simple<dev.pyro.PullResult> {
        @Parameters(index = "0", paramLabel = "ENV|REFERENCE",
                description = "e.g. debian:12, debian:12@sha256:..., or registry.example:5000/pyro/debian:12.")
        String reference;

        Pull() {
            super(JsonViews::pull, EnvViews::pull);
        }

        @Override
        dev.pyro.PullResult apply(Pyro pyro) {
            return pyro.pullEnvironment(reference);
        }
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true,
            description = "Show an environment's manifest: packages with versions, kernel, digests, capabilities.")
    static final class Inspect extends Simple<dev.pyro.EnvironmentDetails> {
        @Parameters(index = "0", paramLabel = "ENV", description = "Environment, e.g. debian:12.")
        String environment;

        Inspect() {
            super(JsonViews::environmentDetails, EnvViews::inspect);
        }

        @Override
        boolean showsProgress() {
            return false;
        }

        @Override
        dev.pyro.EnvironmentDetails apply(Pyro pyro) {
            return pyro.inspectEnvironment(environment);
        }
    }

    @Command(name = "prune", mixinStandardHelpOptions = true,
            description = {"Remove stale and broken environment entries, leftovers of interrupted builds and",
                "pulls, and partial downloads; keep the installed environments that are intact."})
    static final class Prune extends Simple<dev.pyro.PruneResult> {
        Prune() {
            super(JsonViews::prune, EnvViews::prune);
        }

        @Override
        dev.pyro.PruneResult apply(Pyro pyro) {
            return pyro.pruneEnvironments();
        }
    }

    @Command(name = "publish", mixinStandardHelpOptions = true,
            description = {"Push an installed environment to an OCI registry as a pyro artifact (for maintainers).",
                "Login: PYRO_REGISTRY_USERNAME/PYRO_REGISTRY_PASSWORD or the Docker config file. Tunables:",
                "PYRO_OCI_UPLOAD_CHUNK_SIZE_BYTES, PYRO_OCI_UPLOAD_TIMEOUT_SECONDS, PYRO_OCI_REQUEST_TIMEOUT_SECONDS,",
                "PYRO_OCI_COMPRESSION_LEVEL."})
    static final class Publish extends Simple<dev.pyro.PublishResult> {
        @Parameters(index = "0", paramLabel = "ENV", description = "Environment, e.g. debian:12.")
        String environment;

        @Option(names = "--to", required = true, paramLabel = "REGISTRY/REPOSITORY:TAG",
                description = "Where to push, e.g. registry.example:5000/pyro/debian:12.")
        String target;

        Publish() {
            super(JsonViews::publish, EnvViews::publish);
        }

        @Override
        dev.pyro.PublishResult apply(Pyro pyro) {
            return pyro.publishEnvironment(environment, target);
        }
    }
}
