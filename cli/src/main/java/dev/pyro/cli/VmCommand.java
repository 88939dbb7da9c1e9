package dev.pyro.cli;

import dev.pyro.CommandRequest;
import dev.pyro.CommandResult;
import dev.pyro.JsonViews;
import dev.pyro.OutputListener;
import dev.pyro.PyroException;
import dev.pyro.VmInfo;
import dev.pyro.Vms;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code pyro vm ...}: VMs with an explicit lifecycle. */
@Command(name = "vm",
        description = "Manage VMs with an explicit lifecycle: create, start, exec, stop, delete.",
        mixinStandardHelpOptions = true,
        subcommands = {VmCommand.Create.class, VmCommand.Start.class, VmCommand.Exec.class, VmCommand.Stop.class,
            VmCommand.Delete.class, VmCommand.Status.class, VmCommand.NetworkInfoCmd.class, VmCommand.ListCmd.class,
            VmCommand.Reap.class})
final class VmCommand implements Runnable {
    @ParentCommand
    PyroCommand parent;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(parent.terminal().outWriter());
    }

    abstract static class Sub implements Callable<Integer> {
        @ParentCommand
        VmCommand group;

        @Option(names = "--json", description = "Print JSON instead of text; no progress output.")
        boolean json;

        ProgressRenderer progress;

        Terminal terminal() {
            return group.parent.terminal();
        }

        Vms vms() {
            progress = Output.progress(terminal(), json);
            return group.parent.pyro(Output.listener(progress)).vms();
        }

        void done() {
            if (progress != null) {
                progress.finish();
            }
        }

        int print(VmInfo info) {
            done();
            if (json) {
                terminal().println(Json.write(JsonViews.vm(info)));
            } else {
                terminal().out().print(HumanViews.vm(info));
            }
            terminal().flush();
            return 0;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Create a VM with its own disk (state created); start it with: pyro vm start ID.")
    static final class Create extends Sub {
        @Parameters(index = "0", paramLabel = "ENV", description = "Environment, e.g. debian:12-base.")
        String environment;

        @Mixin
        MachineOptions machine;

        @Override
        public Integer call() {
            return print(vms().create(machine.request(environment).build()));
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Boot a VM.")
    static final class Start extends Sub {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            return print(vms().start(id));
        }
    }

    @Command(name = "exec", mixinStandardHelpOptions = true,
            description = {"Run one command in the VM (starting it if needed), then delete the VM.",
                "Exits with the command's exit code."})
    static final class Exec extends Sub {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Parameters(index = "1..*", paramLabel = "COMMAND", arity = "0..*", description = "The command, after --.")
        List<String> command = new ArrayList<>();

        @Option(names = "--timeout-seconds", paramLabel = "S", description = "Kill the command after this long (default: 30).")
        int timeoutSeconds = 30;

        @Override
        public Integer call() {
            if (command.isEmpty()) {
                throw PyroException.invalidArgument("no command given; put it after --, as in: pyro vm exec " + id
                        + " -- uname -a");
            }
            Vms v = vms();
            OutputListener out = json ? OutputListener.NONE : Output.streamTo(terminal(), progress);
            CommandResult r = v.exec(id, CommandRequest.of(command).withTimeoutSeconds(timeoutSeconds).withCwd("/"), out);
            done();
            if (json) {
                terminal().println(Json.write(JsonViews.command(r, "vm_id")));
            } else {
                if (r.executionMode() == dev.pyro.ExecutionMode.HOST_COMPAT) {
                    terminal().note("ran on the host WITHOUT isolation (host-compat VM " + r.machineId() + ")");
                }
                if (r.timedOut()) {
                    terminal().note("command timed out after " + timeoutSeconds + " s and was killed (exit code 124)");
                }
            }
            terminal().flush();
            return r.exitCode();
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Shut a VM down cleanly.")
    static final class Stop extends Sub {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            return print(vms().stop(id));
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a VM and its disk.")
    static final class Delete extends Sub {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            String resolved = vms().delete(id);
            done();
            if (json) {
                terminal().println(Json.write(JsonViews.deleted("vm_id", resolved)));
            } else {
                terminal().println("deleted vm " + resolved);
            }
            terminal().flush();
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show a VM: state, engine, accel, execution mode, pid, created_at, expires_at.")
    static final class Status extends Sub {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            return print(vms().status(id));
        }
    }

    @Command(name = "network-info", mixinStandardHelpOptions = true,
            description = "Show a VM's (or a workspace's) network: policy, back end, guest address, gateway, DNS,"
                    + " host access and published ports.")
    static final class NetworkInfoCmd extends Sub {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            VmInfo info = vms().networkInfo(id);
            done();
            if (json) {
                terminal().println(Json.write(JsonViews.networkInfo(info)));
            } else {
                terminal().out().print(HumanViews.networkInfo(info));
            }
            terminal().flush();
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List VMs.")
    static final class ListCmd extends Sub {
        @Override
        public Integer call() {
            List<VmInfo> all = vms().list();
            done();
            if (json) {
                terminal().println(Json.write(JsonViews.list("vms", all.stream().map(JsonViews::vm).toList())));
            } else {
                terminal().out().print(HumanViews.vms(all));
            }
            terminal().flush();
            return 0;
        }
    }

    @Command(name = "reap", mixinStandardHelpOptions = true, description = "Delete every VM past its expiry.")
    static final class Reap extends Sub {
        @Override
        public Integer call() {
            List<String> reaped = vms().reapExpired();
            done();
            if (json) {
                terminal().println(Json.write(JsonViews.reaped(reaped)));
            } else {
                terminal().println(reaped.isEmpty() ? "no expired VMs" : "deleted " + String.join(", ", reaped));
            }
            terminal().flush();
            return 0;
        }
    }
}
