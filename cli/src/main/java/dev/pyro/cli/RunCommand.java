package dev.pyro.cli;

import dev.pyro.JsonViews;
import dev.pyro.OutputListener;
import dev.pyro.PyroException;
import dev.pyro.RunRequest;
import dev.pyro.RunResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code pyro run ENV [options] -- COMMAND...}. */
@Command(name = "run",
        description = {"Run one command inside a fresh, disposable microVM and delete the VM afterwards.",
            "The command runs directly (no shell); use `-- sh -c '...'` for pipes and globs.",
            "Exits with the command's exit code (124 when it timed out, 125 when pyro failed)."},
        sortOptions = false,
        mixinStandardHelpOptions = true)
final class RunCommand implements Callable<Integer> {
    @ParentCommand
    PyroCommand parent;

    @Parameters(index = "0", paramLabel = "ENV", description = "Environment, e.g. debian:12.")
    String environment;

    @Parameters(index = "1..*", paramLabel = "COMMAND", arity = "0..*",
            description = "The command and its arguments, after --.")
    List<String> command = new ArrayList<>();

    @Option(names = "--vcpu-count", paramLabel = "N", description = "Virtual CPUs (default: ${DEFAULT-VALUE}).")
    int vcpuCount = RunRequest.DEFAULT_VCPU_COUNT;

    @Option(names = "--mem-mib", paramLabel = "MIB", description = "Guest memory in MiB (default: ${DEFAULT-VALUE}).")
    int memMib = RunRequest.DEFAULT_MEM_MIB;

    @Option(names = "--timeout-seconds", paramLabel = "S",
            description = "Kill the command after this long (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds = RunRequest.DEFAULT_TIMEOUT_SECONDS;

    @Option(names = "--ttl-seconds", paramLabel = "S",
            description = "Hard lifetime of the VM (default: ${DEFAULT-VALUE}).")
    int ttlSeconds = RunRequest.DEFAULT_TTL_SECONDS;

    @Option(names = "--allow-host-compat",
            description = "Run on the host, without isolation, when guest execution is unavailable here.")
    boolean allowHostCompat;

    @Option(names = "--engine", paramLabel = "NAME", hidden = true,
            description = "auto (default), qemu, firecracker or host_compat.")
    String engine = "auto";

    @picocli.CommandLine.Mixin
    NetworkOptions network;

    @Option(names = "--json", description = "Print one JSON object with the result instead of streaming output.")
    boolean json;

    @Override
    public Integer call() {
        Terminal terminal = parent.terminal();
        if (command.isEmpty()) {
            throw PyroException.invalidArgument(
                    "no command given; put it after --, as in: pyro run " + environment + " -- uname -a");
        }
        ProgressRenderer progress = json ? null : new ProgressRenderer(terminal.errPrintStream(), terminal.errIsTty());
        RunRequest request = RunRequest.builder(environment, command)
                .vcpuCount(vcpuCount)
                .memMib(memMib)
                .timeoutSeconds(timeoutSeconds)
                .ttlSeconds(ttlSeconds)
                .allowHostCompat(allowHostCompat)
                .engine(engine)
                .network(network.request())
                .build();
        RunResult result;
        try {
            result = parent.pyro(progress == null ? dev.pyro.ProgressListener.NONE : progress)
                    .run(request, json ? OutputListener.NONE : Output.streamTo(terminal, progress));
        } finally {
            if (progress != null) {
                progress.finish();
            }
        }
        if (json) {
            terminal.println(Json.write(JsonViews.run(result)));
        } else {
            // Host-compat is a safety matter: always say so. Slowness notes only for a human at a terminal.
            boolean hostCompat = result.executionMode() == dev.pyro.ExecutionMode.HOST_COMPAT;
            result.note().ifPresent(note -> {
                if (hostCompat || terminal.errIsTty()) {
                    terminal.note(note);
                }
            });
            if (result.timedOut()) {
                terminal.note("command timed out after " + timeoutSeconds + " s and was killed (exit code 124)");
            }
        }
        terminal.flush();
        return result.exitCode();
    }
}
