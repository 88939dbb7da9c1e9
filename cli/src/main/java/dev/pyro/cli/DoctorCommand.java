package dev.pyro.cli;

import dev.pyro.DoctorReport;
import dev.pyro.JsonViews;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code pyro doctor}: what this host can do, and how to fix what it cannot. */
@Command(name = "doctor",
        description = "Inspect the host (QEMU, KVM, Firecracker) and the guest runtime; list each problem with its fix.",
        mixinStandardHelpOptions = true)
final class DoctorCommand implements Callable<Integer> {
    @ParentCommand
    PyroCommand parent;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Override
    public Integer call() {
        Terminal terminal = parent.terminal();
        DoctorReport report = parent.pyro(dev.pyro.ProgressListener.NONE).doctor();
        if (json) {
            terminal.println(Json.write(JsonViews.doctor(report)));
        } else {
            terminal.out().print(HumanViews.doctor(report));
        }
        terminal.flush();
        return report.ok() ? 0 : ExitCodes.FAILURE;
    }
}
