package dev.pyro.internal.engine.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.Accel;
import dev.pyro.OutputListener;
import dev.pyro.PyroException;
import dev.pyro.internal.engine.AgentConnection;
import dev.pyro.internal.engine.PersistentEngine;
import dev.pyro.internal.engine.PersistentEngine.StopOutcome;
import dev.pyro.internal.engine.PersistentVmRef;
import dev.pyro.internal.engine.VmSpec;
import dev.pyro.internal.engine.WritableDisk;
import dev.pyro.internal.guest.ExecRequest;
import dev.pyro.internal.guest.ExecResult;
import dev.pyro.internal.guest.HelloInfo;
import dev.pyro.internal.host.ProcessIdentity;
import dev.pyro.testsupport.GuestImages;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Persistent VMs with real QEMU: they outlive the JVM that booted them, are re-attached from
 * other threads and processes over separate agent ports, keep their disk across stop and
 * start, and are seen dead at once when their QEMU is killed.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class PersistentVmIT {
    static QemuEngine engine;
    static Path kernel;
    static Path root;

    @TempDir
    Path tmp;

    final List<PersistentVmRef> started = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void setUp() {
        kernel = GuestImages.kernel();
        root = GuestImages.rootImage();
        engine = new QemuEngine(QemuBinary.locate());
    }

    @AfterEach
    void killLeftovers() {
        for (PersistentVmRef ref : started) {
            if (engine.isAlive(ref)) {
                engine.kill(ref);
            }
        }
    }

    VmSpec spec(String id, Path disk, int ports) {
        return new VmSpec(id, tmp.resolve("vms").resolve(id), kernel, root, Optional.of(disk), 1, 384, Accel.TCG, false,
                Duration.ZERO, Duration.ofSeconds(120), ports);
    }

    Path disk(String name) {
        Path disk = tmp.resolve(name + ".ext4");
        WritableDisk.create(disk, 2);
        return disk;
    }

    PersistentEngine.Booted boot(VmSpec spec) {
        PersistentEngine.Booted b = engine.bootPersistent(spec, e -> { });
        started.add(b.ref());
        return b;
    }

    static String run(AgentConnection c, String script) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ExecResult r = c.guest().exec(ExecRequest.of("sh", "-c", script).withTimeout(Duration.ofSeconds(60)),
                new OutputListener() {
                    @Override
                    public void onStdout(byte[] data, int offset, int length) {
                        out.write(data, offset, length);
                    }

                    @Override
                    public void onStderr(byte[] data, int offset, int length) {
                        err.write(data, offset, length);
                    }
                });
        assertThat(r.exitCode()).as("%s: %s", script, err).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }

    static Process childJvm(String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                PersistentVmChildMain.class.getName()));
        cmd.addAll(Arrays.asList(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    static List<String> lines(Process p) throws Exception {
        List<String> lines = new ArrayList<>();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String l; (l = r.readLine()) != null;) {
            lines.add(l);
        }
        return lines;
    }

    @Test
    void bootedByAJvmThatExitsThenAttachedStoppedAndStartedAgainKeepingItsFiles() throws Exception {
        Path disk = disk("ws");
        Path runDir = tmp.resolve("vms/ws1");
        Path refFile = tmp.resolve("ws1.ref");
        Process child = childJvm("boot", kernel.toString(), root.toString(), runDir.toString(), disk.toString(), "ws1",
                refFile.toString());
        List<String> out = lines(child);
        assertThat(child.waitFor(150, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as("child output %s", out).isZero();
        assertThat(out).singleElement().asString().startsWith("BOOTED").contains("exit 0", "port 0");
        PersistentVmRef ref = PersistentVmRef.fromJson(Files.readString(refFile));
        started.add(ref);
        assertThat(ref.agentPorts()).isEqualTo(4);

        // The JVM that booted it is gone; QEMU is not.
        assertThat(engine.isAlive(ref)).isTrue();
        long t0 = System.nanoTime();
        try (AgentConnection c = engine.attach(ref, Duration.ofSeconds(10))) {
            long attachMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(c.hello().has(HelloInfo.FEATURE_UPPER_DISK)).isTrue();
            long t1 = System.nanoTime();
            c.guest().exec(ExecRequest.of("true"), OutputListener.NONE);
            long firstExecMs = (System.nanoTime() - t1) / 1_000_000;
            List<Long> rtts = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                long t = System.nanoTime();
                c.guest().exec(ExecRequest.of("true"), OutputListener.NONE);
                rtts.add((System.nanoTime() - t) / 1000);
            }
            Collections.sort(rtts);
            System.err.println("attach (lock, connect, HELLO): " + attachMs + " ms; first exec " + firstExecMs
                    + " ms; exec of true over a re-attached connection: p50 " + rtts.get(10) / 1000.0 + " ms, max "
                    + rtts.get(19) / 1000.0 + " ms");
            assertThat(run(c, "cat /workspace/from-child")).isEqualTo("booted\n");
            assertThat(run(c, "cat /proc/cmdline")).contains("pyro.upper=/dev/vdb").doesNotContain("pyro.ephemeral");
            assertThat(run(c, "grep ' /run/pyro/upper ' /proc/mounts")).contains("/dev/vdb");
            run(c, "echo kept > /workspace/kept && mkdir -p /usr/local/bin"
                    + " && printf '#!/bin/sh\\necho tool ran\\n' > /usr/local/bin/pyro-tool && chmod +x /usr/local/bin/pyro-tool");
        }

        long t2 = System.nanoTime();
        assertThat(engine.stop(ref, Duration.ofSeconds(30))).isEqualTo(StopOutcome.CLEAN);
        System.err.println("stop (SHUTDOWN to QEMU gone): " + (System.nanoTime() - t2) / 1_000_000 + " ms");
        assertThat(engine.isAlive(ref)).isFalse();
        for (Path s : ref.agentSockets()) {
            assertThat(s).doesNotExist();
        }
        assertThat(ref.controlSocket()).doesNotExist();
        assertThat(engine.stop(ref, Duration.ofSeconds(5))).isEqualTo(StopOutcome.NOT_RUNNING);
        assertThat(engine.describeExit(ref)).contains("the guest powered off", "SHUTDOWN");
        WritableDisk.CheckResult check = WritableDisk.check(disk);
        assertThat(check.clean()).as(check.output()).isTrue();

        // Start again: same id, run directory and disk.
        PersistentEngine.Booted again = boot(spec("ws1", disk, 4));
        try (AgentConnection c = again.connection()) {
            assertThat(run(c, "cat /workspace/kept /workspace/from-child")).isEqualTo("kept\nbooted\n");
            assertThat(run(c, "pyro-tool")).isEqualTo("tool ran\n");
        }
        assertThat(engine.stop(again.ref(), Duration.ofSeconds(30))).isEqualTo(StopOutcome.CLEAN);
        engine.removeRuntimeFiles(again.ref());
        try (var files = Files.list(runDir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("console.log", "qemu.log");
        }
        try (var files = Files.list(runDir)) {
            assertThat(files.count()).isEqualTo(2);
        }
    }

    /**
     * Ports closed and reopened in quick succession from several threads: under TCG the guest
     * sometimes misses QEMU's "host connected" message and a HELLO would wait forever; attach
     * reconnects (without that, this test hung an attach on its first run; docs/engines.md).
     */
    @Test
    void portsClosedAndReopenedInQuickSuccessionAlwaysAnswer() throws Exception {
        for (int round = 0; round < 10; round++) {
            PersistentEngine.Booted booted = boot(spec("q" + round, disk("q" + round), 4));
            PersistentVmRef ref = booted.ref();
            booted.connection().close();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Integer>> attaches = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    attaches.add(pool.submit(() -> {
                        int n = 0;
                        for (int k = 0; k < 40; k++) {
                            try (AgentConnection c = engine.attach(ref, Duration.ofSeconds(30))) {
                                if (k % 8 == 0) {
                                    assertThat(run(c, "echo up")).isEqualTo("up\n");
                                }
                                n++;
                            }
                        }
                        return n;
                    }));
                }
                for (Future<Integer> f : attaches) {
                    assertThat(f.get(120, TimeUnit.SECONDS)).isEqualTo(40);
                }
            } finally {
                pool.shutdownNow();
            }
            engine.kill(ref);
        }
    }

    @Test
    void threadsAndProcessesAttachAtOnceOnDifferentPorts() throws Exception {
        PersistentEngine.Booted booted = boot(spec("multi", disk("multi"), 4));
        PersistentVmRef ref = booted.ref();
        booted.connection().close();
        Path refFile = tmp.resolve("multi.ref");
        Files.writeString(refFile, ref.toJson());

        // 4 threads hold 4 connections at the same time, each running commands.
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CyclicBarrier allAttached = new CyclicBarrier(threads);
        Set<Integer> ports = ConcurrentHashMap.newKeySet();
        List<Future<String>> results = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int n = i;
            results.add(pool.submit(() -> {
                try (AgentConnection c = engine.attach(ref, Duration.ofSeconds(30))) {
                    ports.add(c.port());
                    allAttached.await(60, TimeUnit.SECONDS);
                    StringBuilder s = new StringBuilder();
                    for (int k = 0; k < 5; k++) {
                        s.append(run(c, "echo t" + n + "-" + k + " | tee -a /workspace/log"));
                    }
                    return s.toString();
                }
            }));
        }
        for (int i = 0; i < threads; i++) {
            assertThat(results.get(i).get(120, TimeUnit.SECONDS)).isEqualTo(
                    "t" + i + "-0\nt" + i + "-1\nt" + i + "-2\nt" + i + "-3\nt" + i + "-4\n");
        }
        pool.shutdown();
        assertThat(ports).containsExactlyInAnyOrder(0, 1, 2, 3);

        // Two threads here and two child processes hold all four ports; a fifth attach waits
        // and gives up with a clear message, and gets a port once one is released.
        AgentConnection a = engine.attach(ref, Duration.ofSeconds(10));
        AgentConnection b = engine.attach(ref, Duration.ofSeconds(10));
        Process p1 = childJvm("exec", refFile.toString(), "6000");
        Process p2 = childJvm("exec", refFile.toString(), "6000");
        BufferedReader r1 = new BufferedReader(new InputStreamReader(p1.getInputStream(), StandardCharsets.UTF_8));
        BufferedReader r2 = new BufferedReader(new InputStreamReader(p2.getInputStream(), StandardCharsets.UTF_8));
        String port1 = r1.readLine();
        String port2 = r2.readLine();
        assertThat(Set.of(port1, port2, "PORT " + a.port(), "PORT " + b.port())).hasSize(4);
        assertThatThrownBy(() -> engine.attach(ref, Duration.ofMillis(500))).isInstanceOfSatisfying(PyroException.class,
                e -> assertThat(e.getMessage()).contains("all 4 agent ports of VM multi are in use"));
        int freed = a.port();
        a.close();
        try (AgentConnection c = engine.attach(ref, Duration.ofSeconds(10))) {
            assertThat(c.port()).isEqualTo(freed);
            assertThat(run(c, "echo again")).isEqualTo("again\n");
        }
        assertThat(r1.readLine()).isEqualTo("DONE 0");
        assertThat(r2.readLine()).isEqualTo("DONE 0");
        assertThat(p1.waitFor(30, TimeUnit.SECONDS) && p2.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(run(b, "wc -l < /workspace/log; cat /workspace/children")).isEqualTo("20\nchild\nchild\n");
        b.close();

        // Stop works while other processes hold every port: the agent is unreachable, QMP quit ends it.
        List<AgentConnection> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            all.add(engine.attach(ref, Duration.ofSeconds(10)));
        }
        StopOutcome outcome = engine.stop(ref, Duration.ofSeconds(5));
        assertThat(outcome).isEqualTo(StopOutcome.QUIT);
        assertThat(engine.isAlive(ref)).isFalse();
        all.forEach(AgentConnection::close);
    }

    @Test
    void killedQemuIsSeenDeadAtOnceAndTheVmStartsAgain() throws Exception {
        Path disk = disk("killed");
        PersistentEngine.Booted booted = boot(spec("killed", disk, 2));
        PersistentVmRef ref = booted.ref();
        AgentConnection c = booted.connection();
        run(c, "echo before > /workspace/before && sync");
        long t0 = System.nanoTime();
        new ProcessBuilder("kill", "-KILL", Long.toString(ref.pid())).start().waitFor();
        while (engine.isAlive(ref)) {
            assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(2));
            Thread.sleep(5);
        }
        System.err.println("isAlive false " + (System.nanoTime() - t0) / 1_000_000 + " ms after kill -9 of QEMU");
        // The connection that was open notices too.
        assertThatThrownBy(() -> c.guest().ping(Duration.ofSeconds(5))).isInstanceOf(PyroException.class);
        c.close();
        assertThatThrownBy(() -> engine.attach(ref, Duration.ofSeconds(2))).isInstanceOfSatisfying(PyroException.class,
                e -> {
                    assertThat(e.kind()).isEqualTo(PyroException.Kind.VM_FAILED);
                    assertThat(e.getMessage()).doesNotContain("\n").contains("VM killed is not running",
                            "pid " + ref.pid(), "no longer running", "QEMU was killed or crashed", ref.consoleLog().toString(),
                            "start it again");
                    System.err.println("attach after kill -9: " + e.getMessage());
                });
        assertThat(engine.stop(ref, Duration.ofSeconds(5))).isEqualTo(StopOutcome.NOT_RUNNING);
        PersistentEngine.Booted again = boot(spec("killed", disk, 2));
        try (AgentConnection c2 = again.connection()) {
            assertThat(run(c2, "cat /workspace/before")).isEqualTo("before\n");
        }
        engine.kill(again.ref());
        assertThat(engine.isAlive(again.ref())).isFalse();
        assertThat(again.ref().agentSockets().get(0)).doesNotExist();
    }

    @Test
    void aBootWhoseJvmIsKilledLeavesAQemuThatTheSpawnRecordFinds() throws Exception {
        Path disk = disk("orphan");
        Path runDir = tmp.resolve("vms/orphan");
        Process child = childJvm("boot", kernel.toString(), root.toString(), runDir.toString(), disk.toString(),
                "orphan", tmp.resolve("orphan.ref").toString());
        // Kill the booting JVM as soon as QEMU runs, before the guest answered.
        Path record = runDir.resolve("vmm.json");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(record)) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(5);
        }
        new ProcessBuilder("kill", "-KILL", Long.toString(child.pid())).start().waitFor();
        child.waitFor(10, TimeUnit.SECONDS);
        assertThat(tmp.resolve("orphan.ref")).doesNotExist(); // it never got to record the ref itself
        PersistentVmRef spawned = engine.lastSpawned(runDir).orElseThrow();
        started.add(spawned);
        assertThat(spawned.id()).isEqualTo("orphan");
        assertThat(engine.isAlive(spawned)).as("a persistent QEMU outlives its JVM, even mid-boot").isTrue();
        engine.kill(spawned);
        assertThat(engine.isAlive(spawned)).isFalse();
        engine.removeRuntimeFiles(spawned);
        assertThat(engine.lastSpawned(runDir)).isEmpty();
        // The disk is fine, and the VM boots from it.
        PersistentEngine.Booted again = boot(spec("orphan", disk, 2));
        try (AgentConnection c = again.connection()) {
            assertThat(run(c, "echo up")).isEqualTo("up\n");
        }
        assertThat(engine.stop(again.ref(), Duration.ofSeconds(30))).isEqualTo(StopOutcome.CLEAN);
    }

    @Test
    void abandoningABootEndsItsUnrecordedQemuAndNetworkHelpersAndNothingElse() throws Exception {
        // As if the booter died between spawning QEMU (and passt, and the frame relay) and
        // writing the spawn record: nothing on disk names these processes.
        dev.pyro.internal.net.NetworkPlan plan = new dev.pyro.internal.net.NetworkPlan(dev.pyro.NetworkPolicy.EGRESS,
                dev.pyro.internal.net.Backend.USER, 201, Optional.empty(), List.of(), List.of(), Optional.empty(), List.of());
        PersistentEngine.Booted stray = boot(spec("stray", disk("stray"), 1).withNetwork(Optional.of(plan)));
        stray.connection().close();
        PersistentEngine.Booted bystander = boot(spec("bystander", disk("bystander"), 1));
        bystander.connection().close();
        List<ProcessIdentity> helpers = stray.ref().netHelpers();
        assertThat(helpers).hasSize(2).allMatch(ProcessIdentity::isAlive);
        Path runDir = tmp.resolve("vms/stray");
        Files.delete(runDir.resolve("vmm.json"));

        engine.abandonBoot("stray", runDir, Optional.of(plan));

        assertThat(engine.isAlive(stray.ref())).isFalse();
        assertThat(helpers).noneMatch(ProcessIdentity::isAlive);
        assertThat(engine.isAlive(bystander.ref())).as("another VM's QEMU is left alone").isTrue();
        engine.abandonBoot("stray", runDir, Optional.of(plan)); // nothing left: a no-op
        assertThat(engine.isAlive(bystander.ref())).isTrue();
    }

    @Test
    void aReusedPidIsNeverTakenForTheVm() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try {
            ProcessIdentity other = ProcessIdentity.of(sleeper.pid()).orElseThrow();
            Path run = tmp.resolve("vms/fake");
            // A ref whose pid and start time are those of an unrelated live process: as after a
            // host that reused the dead QEMU's pid.
            PersistentVmRef fake = new PersistentVmRef("qemu", "fake", "b00t", run, List.of(run.resolve("agent.sock")),
                    run.resolve("qmp.sock"), Optional.empty(), other.pid(), other.startTime(), "/usr/bin/qemu-system-x86_64",
                    Accel.TCG, kernel, root, tmp.resolve("none.ext4"), run.resolve("console.log"),
                    run.resolve("qemu.log"));
            assertThat(engine.isAlive(fake)).isFalse();
            PersistentVmRef wrongStart = new PersistentVmRef("qemu", "fake", "b00t", run, fake.agentSockets(),
                    fake.controlSocket(), Optional.empty(), other.pid(), other.startTime() + 7, fake.vmmBinary(),
                    Accel.TCG, kernel, root, fake.disk(), fake.consoleLog(), fake.vmmLog());
            assertThat(engine.isAlive(wrongStart)).isFalse();
            assertThatThrownBy(() -> engine.attach(fake, Duration.ofSeconds(1))).isInstanceOf(PyroException.class)
                    .hasMessageContaining("not running");
            engine.kill(fake);
            assertThat(engine.stop(fake, Duration.ofSeconds(1))).isEqualTo(StopOutcome.NOT_RUNNING);
            assertThat(sleeper.isAlive()).as("kill and stop must not touch an unrelated process").isTrue();
        } finally {
            sleeper.destroyForcibly();
        }
    }

    @Test
    void aDiskThatIsNotExt4FailsTheBootClearly() throws Exception {
        Path junk = tmp.resolve("junk.img");
        try (var f = new java.io.RandomAccessFile(junk.toFile(), "rw")) {
            f.setLength(64L << 20);
        }
        assertThatThrownBy(() -> boot(spec("junk", junk, 2))).isInstanceOfSatisfying(PyroException.class, e -> {
            assertThat(e.kind()).isEqualTo(PyroException.Kind.VM_FAILED);
            assertThat(e.getMessage()).doesNotContain("\n").contains("did not put its writable layer on the disk",
                    "e2fsck -fn " + junk.toAbsolutePath());
            System.err.println("not ext4: " + e.getMessage());
        });
        // Nothing left running: the port-0 lock is free and the sockets are gone.
        assertThat(tmp.resolve("vms/junk/agent.sock")).doesNotExist();
    }
}
