package dev.pyro.internal.machine;

import dev.pyro.CommandRequest;
import dev.pyro.CommandResult;
import dev.pyro.ExecutionMode;
import dev.pyro.OutputListener;
import dev.pyro.ProgressListener;
import dev.pyro.PyroException;
import dev.pyro.WorkspaceInfo;
import dev.pyro.internal.access.HostExecutionDoor;
import dev.pyro.internal.engine.AgentConnection;
import dev.pyro.internal.guest.ExecFailedException;
import dev.pyro.internal.guest.ExecRequest;
import dev.pyro.internal.guest.ExecResult;
import dev.pyro.internal.host.ProcessIdentity;
import dev.pyro.internal.run.HostCommand;
import dev.pyro.internal.run.OutputCapture;
import dev.pyro.internal.run.RunValidation;
import dev.pyro.internal.state.JournalEntry;
import dev.pyro.internal.state.JournalOutcome;
import dev.pyro.internal.state.MachineKind;
import dev.pyro.internal.state.MachineRecord;
import dev.pyro.internal.state.MachineState;
import dev.pyro.internal.state.StateStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs commands in a started machine over a free agent port, and keeps the machine's command
 * journal: each command gets the next sequence number when it starts and its outcome when it
 * ends (or a failure, if the connection or this process is lost first).
 */
public final class MachineExec {
    /** How long an exec waits for a free agent port when every one is busy. */
    static final Duration ATTACH_WAIT = Duration.ofSeconds(60);

    private final MachineManager machines;
    private final HostExecutionDoor hostExecution;

    public MachineExec(MachineManager machines, HostExecutionDoor hostExecution) {
        this.machines = machines;
        this.hostExecution = hostExecution;
    }

    public CommandResult exec(MachineKind kind, String id, CommandRequest request, OutputListener output,
            ProgressListener progress) {
        check(request);
        MachineRecord m = machines.get(kind, id);
        if (m.state() != MachineState.STARTED) {
            String noun = MachineIds.noun(kind);
            throw new PyroException(PyroException.Kind.INVALID_ARGUMENT, noun + " " + m.id() + " is "
                    + m.state().wireName() + m.lastError().map(e -> " (" + e + ")").orElse("")
                    + "; start it with: pyro " + noun + " start " + m.id());
        }
        StateStore store = machines.store();
        store.failAbandonedCommands(ProcessIdentity::isAlive);
        if (m.engine().equals("host_compat")) {
            hostExecution.requireForMachine(MachineIds.noun(kind) + " " + m.id());
            return onHost(m, request, output);
        }
        AgentConnection connection = machines.connection(m, progress);
        try {
            return inGuest(m, connection, request, output);
        } catch (RuntimeException e) {
            if (!connection.guest().isConnected()) {
                machines.dropConnection(m.id());
            }
            throw e;
        }
    }

    /** Runs a command over an open connection (also used right after a boot). */
    CommandResult inGuest(MachineRecord m, AgentConnection connection, CommandRequest request, OutputListener output) {
        StateStore store = machines.store();
        JournalEntry entry = store.startCommand(m.id(), request.command(), request.cwd(), ProcessIdentity.current())
                .orElseThrow(() -> new PyroException(PyroException.Kind.NOT_FOUND,
                        MachineIds.noun(m.kind()) + " " + m.id() + " was deleted meanwhile"));
        OutputCapture capture = new OutputCapture(output, request.outputLimitBytes());
        long started = System.nanoTime();
        int exitCode;
        boolean timedOut = false;
        try {
            ExecResult r = connection.guest().exec(ExecRequest.of(request.command())
                    .withCwd(request.cwd())
                    .withTimeout(Duration.ofSeconds(request.timeoutSeconds())), capture);
            exitCode = r.exitCode();
            timedOut = r.timedOut();
        } catch (ExecFailedException e) {
            exitCode = e.shellExitCode();
            byte[] message = ("pyro: " + e.getMessage() + "; " + e.hint() + "\n").getBytes(StandardCharsets.UTF_8);
            capture.onStderr(message, 0, message.length);
        } catch (RuntimeException e) {
            long ms = (System.nanoTime() - started) / 1_000_000;
            store.finishCommand(m.id(), entry.sequence(), JournalOutcome.failed(ErrorLines.oneLine(String.valueOf(
                    e.getMessage())), ms, capture.stdout(), capture.stderr()));
            throw e;
        }
        long ms = (System.nanoTime() - started) / 1_000_000;
        store.finishCommand(m.id(), entry.sequence(),
                JournalOutcome.finished(exitCode, timedOut, ms, capture.stdout(), capture.stderr()));
        return new CommandResult(m.id(), entry.sequence(), request.command(), request.cwd(), exitCode, capture.stdout(),
                capture.stderr(), capture.stdoutTruncated(), capture.stderrTruncated(), timedOut, ms,
                ExecutionMode.GUEST_VIRTIO_SERIAL);
    }

    /** Host-compat: the machine's host directory stands in for /workspace. */
    private CommandResult onHost(MachineRecord m, CommandRequest request, OutputListener output) {
        Path root = m.workspaceDir().orElseThrow();
        Path cwd = HostCompatPaths.toHost(root, request.cwd());
        StateStore store = machines.store();
        JournalEntry entry = store.startCommand(m.id(), request.command(), request.cwd(), ProcessIdentity.current())
                .orElseThrow(() -> new PyroException(PyroException.Kind.NOT_FOUND,
                        MachineIds.noun(m.kind()) + " " + m.id() + " was deleted meanwhile"));
        OutputCapture capture = new OutputCapture(output, request.outputLimitBytes());
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
        env.put("HOME", root.toString());
        env.put("LANG", "C.UTF-8");
        env.put("TERM", "dumb");
        long started = System.nanoTime();
        HostCommand.Outcome outcome = HostCommand.run(request.command(), cwd, env,
                Duration.ofSeconds(request.timeoutSeconds()), capture);
        long ms = (System.nanoTime() - started) / 1_000_000;
        store.finishCommand(m.id(), entry.sequence(), JournalOutcome.finished(outcome.exitCode(), outcome.timedOut(), ms,
                capture.stdout(), capture.stderr()));
        return new CommandResult(m.id(), entry.sequence(), request.command(), request.cwd(), outcome.exitCode(),
                capture.stdout(), capture.stderr(), capture.stdoutTruncated(), capture.stderrTruncated(),
                outcome.timedOut(), ms, ExecutionMode.HOST_COMPAT);
    }

    static void check(CommandRequest request) {
        if (request.command().isEmpty() || request.command().get(0).isEmpty()) {
            throw PyroException.invalidArgument("no command given; pass the command and its arguments, e.g. [\"ls\", \"-la\"]");
        }
        RunValidation.checkCommandSize(request.command());
        RunValidation.checkTimeout(request.timeoutSeconds());
        if (!request.cwd().startsWith("/")) {
            throw PyroException.invalidArgument("cwd must be an absolute guest path such as "
                    + WorkspaceInfo.WORKSPACE_PATH + "; got '" + request.cwd() + "'");
        }
        if (request.outputLimitBytes() < 0) {
            throw PyroException.invalidArgument("output_limit_bytes must not be negative");
        }
    }

    /** The journal of a machine, oldest first. */
    public java.util.List<JournalEntry> journal(MachineKind kind, String id) {
        MachineRecord m = machines.get(kind, id);
        machines.store().failAbandonedCommands(ProcessIdentity::isAlive);
        return machines.store().commands(m.id(), 0, Integer.MAX_VALUE);
    }
}
