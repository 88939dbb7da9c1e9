package dev.pyro.internal.engine;

import dev.pyro.Accel;
import dev.pyro.ExecutionMode;
import dev.pyro.internal.guest.GuestClient;
import dev.pyro.internal.guest.HelloInfo;
import java.nio.file.Path;
import java.time.Duration;

/** A booted VM whose guest agent answered. Closing it kills the VMM if it still runs. */
public interface RunningVm extends AutoCloseable {
    String id();

    Accel accel();

    ExecutionMode executionMode();

    /** Process id of the VMM. */
    long pid();

    /** The guest's console (kernel log and early agent messages). */
    Path consoleLog();

    /** The connected guest agent. */
    GuestClient guest();

    /** What the agent said in HELLO_OK. */
    HelloInfo hello();

    /**
     * Asks the guest to power off cleanly (SHUTDOWN), waits for the VMM to exit, and kills it
     * if that takes longer than {@code timeout}.
     */
    void shutdown(Duration timeout);

    /** Kills the VMM at once. */
    void kill();

    /** Kills the VMM if it still runs and removes its sockets; never throws. */
    @Override
    void close();
}
