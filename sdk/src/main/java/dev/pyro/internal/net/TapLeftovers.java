package dev.pyro.internal.net;

import dev.pyro.internal.host.ProcessIdentity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds and removes the TAP devices and nftables tables that nobody will tear down: those of a
 * VM whose process that set them up was killed (a SIGKILLed one-shot run, a booter killed
 * before its QEMU started) and whose QEMU no longer runs.
 *
 * <p>Each device carries its owner in its interface alias ({@code ip link set ... alias}), so
 * any pyro process in the same network namespace can tell: {@code pyro owner=<pid>/<start
 * time> pidns=<pid namespace>}. A device is left over when that process is gone (pid and start
 * time, so a reused pid does not keep it) and no process has it in its command line as
 * {@code ifname=<device>} (QEMU). Devices without such an alias, or owned from another pid
 * namespace (whose pids mean nothing here), are never touched.
 */
final class TapLeftovers {
    private static final Path SYS_CLASS_NET = Path.of("/sys/class/net");
    private static final Pattern DEVICE = Pattern.compile("pt[A-Za-z0-9]{1,13}");
    private static final Pattern ALIAS = Pattern.compile("pyro owner=(\\d+)/(\\d+) pidns=(\\S+)");
    private static final Pattern TABLE = Pattern.compile("(?m)^table (?:inet|ip) pyro_(pt[A-Za-z0-9]{1,13})$");

    private TapLeftovers() {
    }

    /** Who set a device up. */
    record Owner(ProcessIdentity process, String pidNamespace) {
        String alias() {
            return "pyro owner=" + process.pid() + "/" + process.startTime() + " pidns=" + pidNamespace;
        }

        static Optional<Owner> parse(String alias) {
            Matcher m = ALIAS.matcher(alias.strip());
            if (!m.matches()) {
                return Optional.empty();
            }
            try {
                return Optional.of(new Owner(new ProcessIdentity(Long.parseLong(m.group(1)), Long.parseLong(m.group(2))),
                        m.group(3)));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
    }

    /** The alias for a device this process sets up, or empty when its pid namespace is unknown. */
    static Optional<String> ownerAlias() {
        return ProcessIdentity.pidNamespace().map(ns -> new Owner(ProcessIdentity.current(), ns).alias());
    }

    /** Whether a command line names {@code device} as its TAP ({@code -netdev tap,...,ifname=<device>,...}). */
    static boolean usesDevice(List<String> argv, String device) {
        for (String arg : argv) {
            for (String part : arg.split(",")) {
                if (part.equals("ifname=" + device)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Whether the owner in {@code alias} is gone, judged from pid namespace {@code ourPidNs}:
     * false for a foreign or unreadable alias (not ours to judge).
     */
    static boolean ownerGone(String alias, String ourPidNs) {
        return Owner.parse(alias).filter(o -> o.pidNamespace().equals(ourPidNs))
                .map(o -> !o.process().isAlive()).orElse(false);
    }

    /** The pyro tables in {@code nft list tables} output whose device does not exist. */
    static List<String> tablesWithoutDevice(String nftTables, java.util.function.Predicate<String> deviceExists) {
        List<String> orphans = new ArrayList<>();
        Matcher m = TABLE.matcher(nftTables);
        while (m.find()) {
            if (!deviceExists.test(m.group(1)) && !orphans.contains(m.group(1))) {
                orphans.add(m.group(1));
            }
        }
        return orphans;
    }

    /**
     * Removes every left-over device and table in this network namespace. Never throws: a
     * sweep that cannot look (no ip, no nft, unreadable /sys) removes nothing.
     */
    static void sweep() {
        Optional<String> ourPidNs = ProcessIdentity.pidNamespace();
        if (ourPidNs.isEmpty()) {
            return;
        }
        List<String> ownerGone = new ArrayList<>();
        try (DirectoryStream<Path> net = Files.newDirectoryStream(SYS_CLASS_NET)) {
            for (Path dev : net) {
                String name = dev.getFileName().toString();
                if (!DEVICE.matcher(name).matches()) {
                    continue;
                }
                if (ownerGone(readAlias(dev), ourPidNs.get())) {
                    ownerGone.add(name);
                }
            }
        } catch (IOException e) {
            return;
        }
        if (!ownerGone.isEmpty()) {
            Set<String> inUse = devicesInCommandLines(ownerGone);
            for (String dev : ownerGone) {
                // Read the alias again: the VM may have been started anew meanwhile (a new owner).
                if (!inUse.contains(dev) && ownerGone(readAlias(SYS_CLASS_NET.resolve(dev)), ourPidNs.get())) {
                    TapNetwork.down(dev);
                }
            }
        }
        // A table is created after its device and deleted after it, so one whose device is missing
        // when looked at after the listing is left over (a device listed before the table was made
        // would not prove that: another process may have just made both).
        TapNetwork.listTables().ifPresent(tables -> tablesWithoutDevice(tables,
                dev -> Files.exists(SYS_CLASS_NET.resolve(dev))).forEach(TapNetwork::deleteTable));
    }

    private static String readAlias(Path dev) {
        try {
            return Files.readString(dev.resolve("ifalias"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Which of {@code devices} a running process (a QEMU, or one about to become one) names. */
    private static Set<String> devicesInCommandLines(List<String> devices) {
        Set<String> inUse = new HashSet<>();
        ProcessHandle.allProcesses().forEach(p -> ProcessIdentity.of(p.pid())
                .flatMap(ProcessIdentity::commandLine)
                .ifPresent(argv -> devices.stream().filter(d -> usesDevice(argv, d)).forEach(inUse::add)));
        return inUse;
    }
}
