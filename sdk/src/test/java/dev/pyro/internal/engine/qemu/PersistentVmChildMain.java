package dev.pyro.internal.engine.qemu;

import dev.pyro.Accel;
import dev.pyro.OutputListener;
import dev.pyro.ProgressListener;
import dev.pyro.internal.engine.AgentConnection;
import dev.pyro.internal.engine.PersistentEngine;
import dev.pyro.internal.engine.PersistentVmRef;
import dev.pyro.internal.engine.VmSpec;
import dev.pyro.internal.guest.ExecRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Child JVM for {@link PersistentVmIT}.
 * <ul>
 *   <li>{@code boot KERNEL ROOT RUNDIR DISK ID REFFILE}: boots a persistent VM with 4 agent
 *       ports, writes its ref to REFFILE, runs one command over the handed-over connection,
 *       prints {@code BOOTED}, and exits (the VM must survive that);
 *   <li>{@code exec REFFILE HOLD_MS}: attaches, prints {@code PORT <n>}, runs a command, keeps
 *       the port for HOLD_MS, prints {@code DONE} and exits.
 * </ul>
 */
public final class PersistentVmChildMain {
    private PersistentVmChildMain() {
    }

    public static void main(String[] args) throws Exception {
        QemuEngine engine = new QemuEngine(QemuBinary.locate());
        if (args[0].equals("boot")) {
            VmSpec spec = new VmSpec(args[5], Path.of(args[3]), Path.of(args[1]), Path.of(args[2]),
                    Optional.of(Path.of(args[4])), 1, 384, Accel.TCG, false, Duration.ZERO, Duration.ofSeconds(120), 4);
            PersistentEngine.Booted booted = engine.bootPersistent(spec, ProgressListener.NONE);
            Files.writeString(Path.of(args[6]), booted.ref().toJson(), StandardCharsets.UTF_8);
            try (AgentConnection c = booted.connection()) {
                int code = c.guest().exec(ExecRequest.of("sh", "-c", "echo booted > /workspace/from-child"),
                        OutputListener.NONE).exitCode();
                System.out.println("BOOTED " + booted.bootMillis() + " exit " + code + " port " + c.port());
            }
        } else if (args[0].equals("exec")) {
            PersistentVmRef ref = PersistentVmRef.fromJson(Files.readString(Path.of(args[1])));
            try (AgentConnection c = engine.attach(ref, Duration.ofSeconds(60))) {
                System.out.println("PORT " + c.port());
                System.out.flush();
                int code = c.guest().exec(ExecRequest.of("sh", "-c", "echo child >> /workspace/children"),
                        OutputListener.NONE).exitCode();
                Thread.sleep(Long.parseLong(args[2]));
                System.out.println("DONE " + code);
            }
        } else {
            throw new IllegalArgumentException("unknown mode " + args[0]);
        }
        System.out.flush();
        System.exit(0);
    }
}
