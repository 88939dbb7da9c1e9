package dev.pyro.cli;

import dev.pyro.Pyro;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code pyro}: the top-level command. */
@Command(name = "pyro",
        mixinStandardHelpOptions = true,
        versionProvider = PyroCommand.Version.class,
        description = "Isolated, disposable Linux microVMs for AI coding agents and developers.",
        footer = {"", "Examples:",
            "  pyro run debian:12 -- git --version",
            "  pyro env list",
            "  pyro doctor",
            "  pyro runtime status"})
final class PyroCommand implements Runnable {
    private final Terminal terminal;
    private Pyro pyro;

    @Spec
    CommandSpec spec;

    PyroCommand(Terminal terminal) {
        this.terminal = terminal;
    }

    Terminal terminal() {
        return terminal;
    }

    /** The SDK facade, created on first use so that --help and --version stay instant. */
    synchronized Pyro pyro(dev.pyro.ProgressListener progress) {
        if (pyro == null) {
            pyro = Pyro.builder().progress(progress).build();
        }
        return pyro;
    }

    @Override
    public void run() {
        spec.commandLine().usage(terminal.outWriter());
    }

    /** Reads the version the build stamped into the SDK. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"pyro " + Pyro.version()};
        }
    }
}
