package dev.pyro.internal.state;

import dev.pyro.internal.host.ProcessIdentity;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Child JVM for {@link StateConcurrencyTest}. Modes:
 * <ul>
 *   <li>{@code hammer DB NAME ITERATIONS RACES}: per iteration inserts machine NAME-i, takes a
 *       journal sequence of machine "shared" (prints {@code SEQ n}), increments "counter"'s
 *       memory inside a write transaction and once more by optimistic compareAndSet with
 *       retries, and tries to win the CREATED to STARTING race of machines race-0..RACES-1
 *       (prints {@code WON k}); prints {@code DONE} at the end;
 *   <li>{@code hold DB}: inserts machine "half" and a journal entry inside a write transaction,
 *       prints {@code IN_TX} and sleeps inside it, waiting to be killed;
 *   <li>{@code commit-loop DB}: commits transactions of 3 writes each, printing
 *       {@code COMMITTED n} after the n-th, until killed.
 * </ul>
 */
public final class StateWorkerMain {
    private StateWorkerMain() {
    }

    public static void main(String[] args) throws Exception {
        StateStore store = StateStore.open(Path.of(args[1]), Clock.systemUTC(), Duration.ofSeconds(60));
        ProcessIdentity me = ProcessIdentity.current();
        switch (args[0]) {
            case "hammer" -> hammer(store, me, args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]));
            case "hold" -> store.write(tx -> {
                tx.machines().insert(MachineRecord.builder("half", MachineKind.VM, "e", tx.now()).build());
                tx.journal().start("shared", List.of("half"), "/", me);
                System.out.println("IN_TX");
                System.out.flush();
                sleep(Long.MAX_VALUE);
                return null;
            });
            case "commit-loop" -> {
                for (int n = 1; ; n++) {
                    int k = n;
                    store.write(tx -> {
                        tx.machines().insert(MachineRecord.builder("loop-" + k, MachineKind.VM, "e", tx.now()).build());
                        tx.seeds().put(SeedRecord.empty("loop-" + k, "/workspace", tx.now()));
                        tx.journal().start("loop-" + k, List.of("x"), "/", me);
                        return null;
                    });
                    System.out.println("COMMITTED " + n);
                    System.out.flush();
                }
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static void hammer(StateStore store, ProcessIdentity me, String name, int iterations, int races) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < iterations; i++) {
            if (!store.insertMachine(MachineRecord.builder(name + "-" + i, MachineKind.VM, "debian:12-base",
                    Instant.now()).build())) {
                throw new IllegalStateException("id " + name + "-" + i + " taken");
            }
            long seq = store.startCommand("shared", List.of("echo", name, Integer.toString(i)), "/", me).orElseThrow()
                    .sequence();
            out.append("SEQ ").append(seq).append('\n');
            // Read-modify-write inside one write transaction.
            store.updateMachine("counter", EnumSet.allOf(MachineState.class),
                    m -> m.toBuilder().memMib(m.memMib() + 1).build());
            // Optimistic: read outside, compare-and-set, retry when someone else won.
            while (true) {
                MachineRecord seen = store.machine("counter").orElseThrow();
                if (store.compareAndSet(seen, seen.toBuilder().vcpuCount(seen.vcpuCount() + 1).build()).isPresent()) {
                    break;
                }
            }
            int race = i % races;
            if (store.updateMachine("race-" + race, Set.of(MachineState.CREATED),
                    m -> m.toBuilder().state(MachineState.STARTING).owner(me).build()).updated()) {
                out.append("WON ").append(race).append('\n');
            }
        }
        out.append("DONE\n");
        System.out.print(out);
        System.out.flush();
        Optional.empty();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
