package dev.pyro;

import dev.pyro.internal.machine.MachineExec;
import dev.pyro.internal.machine.MachineManager;
import dev.pyro.internal.machine.PublicViews;
import dev.pyro.internal.state.MachineKind;
import java.util.List;
import java.util.Optional;

/**
 * VMs with an explicit lifecycle ({@code pyro vm ...}): create, start, exec, stop, delete,
 * status, list, reap. A VM outlives the process that started it; any process can act on it.
 * Obtain through {@link Pyro#vms()}.
 */
public final class Vms {
    private final MachineManager machines;
    private final MachineExec exec;
    private final ProgressListener progress;

    Vms(MachineManager machines, MachineExec exec, ProgressListener progress) {
        this.machines = machines;
        this.exec = exec;
        this.progress = progress;
    }

    /** Records a VM with its own disk (state created); nothing runs until {@link #start}. */
    public VmInfo create(MachineRequest request) {
        return PublicViews.vm(machines.create(MachineKind.VM, request, progress));
    }

    /** Boots the VM (a no-op when it is started). */
    public VmInfo start(String id) {
        try (MachineManager.Started s = machines.start(MachineKind.VM, id, progress)) {
            return PublicViews.vm(s.record());
        }
    }

    /**
     * Runs one command in the VM, starting it first if needed, and then deletes the VM (as
     * the reference product's {@code vm exec} does); the result is returned either way.
     */
    public CommandResult exec(String id, CommandRequest request, OutputListener output) {
        String resolved = machines.get(MachineKind.VM, id).id();
        try {
            start(resolved);
            return exec.exec(MachineKind.VM, resolved, request, output, progress);
        } finally {
            machines.delete(MachineKind.VM, resolved, progress);
        }
    }

    /** Shuts the VM down cleanly; its disk keeps what the guest wrote. */
    public VmInfo stop(String id) {
        return PublicViews.vm(machines.stop(MachineKind.VM, id, progress));
    }

    /** Kills the VM if it runs and removes it with its disk; returns its full id. */
    public String delete(String id) {
        return machines.delete(MachineKind.VM, id, progress);
    }

    /** The VM's record, reconciled with its VMM (a VM whose VMM died is never shown started). */
    public VmInfo status(String id) {
        return PublicViews.vm(machines.get(MachineKind.VM, id));
    }

    /**
     * The network of a VM, or of a workspace (a workspace runs in a VM of its own): policy, back
     * end, guest address, gateway, DNS, host access and published ports.
     */
    public VmInfo networkInfo(String id) {
        try {
            return status(id);
        } catch (PyroException e) {
            if (e.kind() != PyroException.Kind.NOT_FOUND) {
                throw e;
            }
            try {
                return PublicViews.vm(machines.get(MachineKind.WORKSPACE, id));
            } catch (PyroException ignored) {
                throw e;
            }
        }
    }

    public List<VmInfo> list() {
        return machines.list(MachineKind.VM).stream().map(PublicViews::vm).toList();
    }

    /** Deletes every VM past its expiry; returns their ids. */
    public List<String> reapExpired() {
        return machines.reapExpired(Optional.of(MachineKind.VM), progress);
    }
}
