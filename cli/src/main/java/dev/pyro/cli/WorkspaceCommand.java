package dev.pyro.cli;

import dev.pyro.CommandRequest;
import dev.pyro.CommandResult;
import dev.pyro.JournalEntry;
import dev.pyro.JsonViews;
import dev.pyro.OutputListener;
import dev.pyro.PyroException;
import dev.pyro.TransferResult;
import dev.pyro.WorkspaceInfo;
import dev.pyro.Workspaces;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code pyro workspace ...} (alias {@code pyro task ...}): persistent workspaces. */
@Command(name = "workspace", aliases = "task",
        description = "Manage persistent workspaces: a VM that outlives the CLI, seeded from your files.",
        mixinStandardHelpOptions = true,
        subcommands = {
            WorkspaceCommand.Create.class, WorkspaceCommand.Exec.class, WorkspaceCommand.Sync.class,
            WorkspaceCommand.Export.class, WorkspaceCommand.Status.class, WorkspaceCommand.Logs.class,
            WorkspaceCommand.ListCmd.class, WorkspaceCommand.Stop.class, WorkspaceCommand.Start.class,
            WorkspaceCommand.Delete.class, WorkspaceCommand.Reap.class})
final class WorkspaceCommand implements Runnable {
    @ParentCommand
    PyroCommand parent;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(parent.terminal().outWriter());
    }

    /** Shared plumbing: the terminal, JSON or human output, progress. */
    abstract static class Sub implements Callable<Integer> {
        @ParentCommand
        WorkspaceCommand group;

        @Option(names = "--json", description = "Print JSON instead of text; no progress output.")
        boolean json;

        ProgressRenderer progress;

        Terminal terminal() {
            return group.parent.terminal();
        }

        Workspaces workspaces() {
            progress = Output.progress(terminal(), json);
            return group.parent.pyro(Output.listener(progress)).workspaces();
        }

        void done() {
            if (progress != null) {
                progress.finish();
            }
        }

        int print(WorkspaceInfo info) {
            done();
            if (json) {
                terminal().println(Json.write(JsonViews.workspace(info)));
            } else {
                terminal().out().print(HumanViews.workspace(info));
            }
            terminal().flush();
            return 0;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Create and start a workspace whose /workspace starts empty, or seeded from a host",
                "directory or a .tar, .tar.gz or .tgz archive."})
    static final class Create extends Sub {
        @Parameters(index = "0", paramLabel = "ENV", description = "Environment, e.g. debian:12-base.")
        String environment;

        @Option(names = {"--seed-path", "--source-path"}, paramLabel = "PATH",
                description = "Host directory or .tar/.tar.gz/.tgz archive to seed /workspace from.")
        Path seedPath;

        @Mixin
        MachineOptions machine;

        @Override
        public Integer call() {
            WorkspaceInfo info = workspaces().create(machine.request(environment)
                    .seedPath(seedPath == null ? null : seedPath.toAbsolutePath()).build());
            return print(info);
        }
    }

    @Command(name = "exec", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Run a command in a started workspace (in /workspace), streaming its output.",
                "Exits with the command's exit code (124 when it timed out)."})
    static final class Exec extends Sub {
        @Parameters(index = "0", paramLabel = "ID", description = "Workspace id (or a unique prefix).")
        String id;

        @Parameters(index = "1..*", paramLabel = "COMMAND", arity = "0..*", description = "The command, after --.")
        List<String> command = new ArrayList<>();

        @Option(names = "--timeout-seconds", paramLabel = "S", description = "Kill the command after this long (default: 30).")
        int timeoutSeconds = 30;

        @Option(names = "--cwd", paramLabel = "DIR", description = "Working directory in the guest (default: /workspace).")
        String cwd = WorkspaceInfo.WORKSPACE_PATH;

        @Override
        public Integer call() {
            if (command.isEmpty()) {
                throw PyroException.invalidArgument("no command given; put it after --, as in: pyro workspace exec "
                        + id + " -- ls -la");
            }
            Workspaces w = workspaces();
            OutputListener out = json ? OutputListener.NONE : Output.streamTo(terminal(), progress);
            CommandResult r = w.exec(id, CommandRequest.of(command).withTimeoutSeconds(timeoutSeconds).withCwd(cwd), out);
            done();
            if (json) {
                terminal().println(Json.write(JsonViews.command(r, "workspace_id")));
            } else {
                if (r.executionMode() == dev.pyro.ExecutionMode.HOST_COMPAT) {
                    terminal().note("ran on the host WITHOUT isolation (host-compat workspace " + r.machineId() + ")");
                }
                if (r.timedOut()) {
                    terminal().note("command timed out after " + timeoutSeconds + " s and was killed (exit code 124)");
                }
                if (terminal().errIsTty()) {
                    terminal().note("workspace " + r.machineId() + " command #" + r.sequence() + " exit_code="
                            + r.exitCode() + " (" + r.durationMs() + " ms)");
                }
            }
            terminal().flush();
            return r.exitCode();
        }
    }

    @Command(name = "sync", mixinStandardHelpOptions = true, description = "Move host files into a workspace.",
            subcommands = Sync.Push.class)
    static final class Sync implements Runnable {
        @ParentCommand
        WorkspaceCommand group;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(group.parent.terminal().outWriter());
        }

        @Command(name = "push", mixinStandardHelpOptions = true,
                description = {"Import a host directory or .tar/.tar.gz/.tgz archive into the workspace.",
                    "Atomic: if it fails part way, the workspace is left exactly as it was."})
        static final class Push implements Callable<Integer> {
            @ParentCommand
            Sync sync;

            @Parameters(index = "0", paramLabel = "ID")
            String id;

            @Parameters(index = "1", paramLabel = "SOURCE", description = "Host directory or archive.")
            Path source;

            @Option(names = "--dest", paramLabel = "PATH", description = "Destination under /workspace (default: /workspace).")
            String dest = WorkspaceInfo.WORKSPACE_PATH;

            @Option(names = "--json", description = "Print JSON.")
            boolean json;

            @Override
            public Integer call() {
                Terminal terminal = sync.group.parent.terminal();
                ProgressRenderer progress = Output.progress(terminal, json);
                TransferResult r = sync.group.parent.pyro(Output.listener(progress)).workspaces()
                        .syncPush(id, source.toAbsolutePath(), dest);
                if (progress != null) {
                    progress.finish();
                }
                printTransfer(terminal, json, r, "pushed");
                return 0;
            }
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Copy a file or directory from the workspace to the host (the output must not exist).")
    static final class Export extends Sub {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Parameters(index = "1", paramLabel = "PATH", description = "Path in the workspace (relative to /workspace, or absolute under it).")
        String path;

        @Option(names = "--output", required = true, paramLabel = "HOST_PATH", description = "Where to write it on the host.")
        Path output;

        @Override
        public Integer call() {
            TransferResult r = workspaces().export(id, path, output.toAbsolutePath());
            done();
            printTransfer(terminal(), json, r, "exported");
            return 0;
        }
    }

    static void printTransfer(Terminal terminal, boolean json, TransferResult r, String verb) {
        if (json) {
            terminal.println(Json.write(JsonViews.transfer(r)));
        } else {
            terminal.println(verb + " " + r.artifactType().wireName() + " " + r.source() + " -> " + r.destination()
                    + " (" + r.entryCount() + " entries, " + r.bytesWritten() + " bytes)");
        }
        terminal.flush();
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Show a workspace.")
    static final class Status extends Sub {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            return print(workspaces().status(id));
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true,
            description = "Show the workspace's command journal: sequence, command, exit code, duration, output tails.")
    static final class Logs extends Sub {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            Workspaces w = workspaces();
            String resolved = w.status(id).id();
            List<JournalEntry> entries = w.logs(resolved);
            done();
            if (json) {
                terminal().println(Json.write(JsonViews.journal(resolved, entries)));
            } else {
                terminal().out().print(HumanViews.journal(entries));
            }
            terminal().flush();
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List workspaces.")
    static final class ListCmd extends Sub {
        @Override
        public Integer call() {
            List<WorkspaceInfo> all = workspaces().list();
            done();
            if (json) {
                terminal().println(Json.write(JsonViews.list("workspaces", all.stream().map(JsonViews::workspace).toList())));
            } else {
                terminal().out().print(HumanViews.workspaces(all));
            }
            terminal().flush();
            return 0;
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true,
            description = "Shut a workspace down cleanly; everything written in it stays on its disk.")
    static final class Stop extends Sub {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            return print(workspaces().stop(id));
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Start a stopped workspace from its disk.")
    static final class Start extends Sub {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            return print(workspaces().start(id));
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a workspace and its disk.")
    static final class Delete extends Sub {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            String resolved = workspaces().delete(id);
            done();
            if (json) {
                terminal().println(Json.write(JsonViews.deleted("workspace_id", resolved)));
            } else {
                terminal().println("deleted workspace " + resolved);
            }
            terminal().flush();
            return 0;
        }
    }

    @Command(name = "reap", mixinStandardHelpOptions = true, description = "Delete every workspace past its expiry.")
    static final class Reap extends Sub {
        @Override
        public Integer call() {
            List<String> reaped = workspaces().reapExpired();
            done();
            if (json) {
                terminal().println(Json.write(JsonViews.reaped(reaped)));
            } else {
                terminal().println(reaped.isEmpty() ? "no expired workspaces" : "deleted " + String.join(", ", reaped));
            }
            terminal().flush();
            return 0;
        }
    }
}
