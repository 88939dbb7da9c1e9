package dev.pyro.internal.engine;

import dev.pyro.Accel;
import dev.pyro.internal.host.ProcessIdentity;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Everything another process needs to find and control a running persistent VM: where its
 * sockets are, which process is its VMM (pid and start time, so a reused pid is never taken
 * for it), and what it was booted from. Small and serialisable ({@link #toJson()}), so the
 * state store keeps it with the VM's record.
 *
 * @param engine the engine that booted it ({@code "qemu"})
 * @param id the VM id (QEMU runs with {@code -name pyro-<id>})
 * @param bootId random per boot: names this incarnation's port lock files, so a process still
 *     holding a lock of an earlier boot cannot block the new one
 * @param runDir the run directory (logs, lock files; sockets unless they needed a short path)
 * @param agentSockets the agent ports' unix sockets, port 0 first
 * @param controlSocket the VMM's control socket (QEMU: QMP)
 * @param privateSocketDir the short socket directory under /tmp, when the run directory was too
 *     deep for unix socket paths; removed with the sockets
 * @param pid the VMM's process id
 * @param pidStartTime the VMM's start time (field 22 of /proc/PID/stat)
 * @param vmmBinary the VMM executable the process was started as
 * @param accel KVM or TCG
 * @param kernel the guest kernel it booted
 * @param rootImage the read-only environment image it booted
 * @param disk the writable disk (the overlay's upper layer and /workspace)
 * @param consoleLog the guest's serial console
 * @param vmmLog the VMM's own stdout and stderr
 * @param network the VM's network plan ({@code NetworkPlan} JSON), when it has a network device
 * @param netHelpers the processes serving its network on the host (user back end: passt and the
 *     frame relay in front of it)
 */
public record PersistentVmRef(
        String engine,
        String id,
        String bootId,
        Path runDir,
        List<Path> agentSockets,
        Path controlSocket,
        Optional<Path> privateSocketDir,
        long pid,
        long pidStartTime,
        String vmmBinary,
        Accel accel,
        Path kernel,
        Path rootImage,
        Path disk,
        Path consoleLog,
        Path vmmLog,
        Optional<dev.pyro.internal.net.NetworkPlan> network,
        List<ProcessIdentity> netHelpers) {
    /** Version of the JSON form; a reader refuses a newer one rather than misreading it. */
    public static final int JSON_VERSION = 1;
    private static final JsonMapper JSON = JsonMapper.shared();

    public PersistentVmRef {
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(bootId, "bootId");
        Objects.requireNonNull(runDir, "runDir");
        agentSockets = List.copyOf(agentSockets);
        Objects.requireNonNull(controlSocket, "controlSocket");
        Objects.requireNonNull(privateSocketDir, "privateSocketDir");
        Objects.requireNonNull(vmmBinary, "vmmBinary");
        Objects.requireNonNull(accel, "accel");
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(rootImage, "rootImage");
        Objects.requireNonNull(disk, "disk");
        Objects.requireNonNull(consoleLog, "consoleLog");
        Objects.requireNonNull(vmmLog, "vmmLog");
        Objects.requireNonNull(network, "network");
        netHelpers = List.copyOf(netHelpers);
        if (agentSockets.isEmpty()) {
            throw new IllegalArgumentException("a persistent VM has at least one agent socket");
        }
    }

    /** A VM without a network device. */
    public PersistentVmRef(String engine, String id, String bootId, Path runDir, List<Path> agentSockets,
            Path controlSocket, Optional<Path> privateSocketDir, long pid, long pidStartTime, String vmmBinary,
            Accel accel, Path kernel, Path rootImage, Path disk, Path consoleLog, Path vmmLog) {
        this(engine, id, bootId, runDir, agentSockets, controlSocket, privateSocketDir, pid, pidStartTime, vmmBinary,
                accel, kernel, rootImage, disk, consoleLog, vmmLog, Optional.empty(), List.of());
    }

    /** The VMM process as (pid, start time). */
    public ProcessIdentity process() {
        return new ProcessIdentity(pid, pidStartTime);
    }

    /** Number of agent ports. */
    public int agentPorts() {
        return agentSockets.size();
    }

    /** A compact JSON object (one line) with every field; {@link #fromJson} reads it back. */
    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("version", JSON_VERSION);
        o.put("engine", engine);
        o.put("id", id);
        o.put("boot_id", bootId);
        o.put("run_dir", runDir.toString());
        ArrayNode sockets = o.putArray("agent_sockets");
        agentSockets.forEach(p -> sockets.add(p.toString()));
        o.put("control_socket", controlSocket.toString());
        privateSocketDir.ifPresent(p -> o.put("private_socket_dir", p.toString()));
        o.put("pid", pid);
        o.put("pid_start_time", pidStartTime);
        o.put("vmm_binary", vmmBinary);
        o.put("accel", accel.wireName());
        o.put("kernel", kernel.toString());
        o.put("root_image", rootImage.toString());
        o.put("disk", disk.toString());
        o.put("console_log", consoleLog.toString());
        o.put("vmm_log", vmmLog.toString());
        network.ifPresent(n -> o.set("network", n.toNode()));
        if (!netHelpers.isEmpty()) {
            ArrayNode helpers = o.putArray("net_helpers");
            netHelpers.forEach(h -> helpers.addObject().put("pid", h.pid()).put("start_time", h.startTime()));
        }
        return JSON.writeValueAsString(o);
    }

    /**
     * Reads {@link #toJson()}'s form.
     *
     * @throws IllegalArgumentException when it is not such an object, or of a newer version
     */
    public static PersistentVmRef fromJson(String json) {
        JsonNode o;
        try {
            o = JSON.readTree(json);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("not a VM reference: " + e.getOriginalMessage());
        }
        int version = o.path("version").asInt(-1);
        if (version < 1 || version > JSON_VERSION) {
            throw new IllegalArgumentException("VM reference of version " + version + " (this pyro reads up to "
                    + JSON_VERSION + ")");
        }
        List<Path> sockets = new ArrayList<>();
        o.path("agent_sockets").forEach(n -> sockets.add(Path.of(n.asString())));
        JsonNode privateDir = o.get("private_socket_dir");
        try {
            return new PersistentVmRef(text(o, "engine"), text(o, "id"), text(o, "boot_id"), path(o, "run_dir"),
                    sockets, path(o, "control_socket"),
                    privateDir == null || privateDir.isNull() ? Optional.empty() : Optional.of(Path.of(privateDir.asString())),
                    o.path("pid").asLong(), o.path("pid_start_time").asLong(), text(o, "vmm_binary"),
                    Accel.valueOf(text(o, "accel").toUpperCase(java.util.Locale.ROOT)), path(o, "kernel"),
                    path(o, "root_image"), path(o, "disk"), path(o, "console_log"), path(o, "vmm_log"),
                    o.hasNonNull("network") ? Optional.of(dev.pyro.internal.net.NetworkPlan.fromNode(o.get("network")))
                            : Optional.empty(),
                    helpers(o));
        } catch (NullPointerException e) {
            throw new IllegalArgumentException("incomplete VM reference: " + e.getMessage());
        }
    }

    private static List<ProcessIdentity> helpers(JsonNode o) {
        List<ProcessIdentity> helpers = new ArrayList<>();
        o.path("net_helpers").forEach(h -> helpers.add(new ProcessIdentity(h.path("pid").asLong(),
                h.path("start_time").asLong())));
        return helpers;
    }

    private static String text(JsonNode o, String field) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            throw new IllegalArgumentException("VM reference without " + field);
        }
        return n.asString();
    }

    private static Path path(JsonNode o, String field) {
        return Path.of(text(o, field));
    }
}
