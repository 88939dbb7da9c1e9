package dev.pyro.internal.host;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The host requirements of each pyro step, with the Debian package that provides each one.
 * Keeping the tool-to-package map in one place makes the "install these" line complete.
 */
public final class HostRequirements {
    public static final HostRequirement QEMU = HostRequirement.tool("qemu-system-x86_64", "qemu-system-x86");
    public static final HostRequirement MKE2FS = HostRequirement.tool("mke2fs", "e2fsprogs");
    public static final HostRequirement E2FSCK = HostRequirement.tool("e2fsck", "e2fsprogs");
    public static final HostRequirement DEBUGFS = HostRequirement.tool("debugfs", "e2fsprogs");
    public static final HostRequirement MMDEBSTRAP = HostRequirement.tool("mmdebstrap", "mmdebstrap");
    public static final HostRequirement DEBOOTSTRAP = HostRequirement.tool("debootstrap", "debootstrap");
    public static final HostRequirement GCC = HostRequirement.tool("gcc", "gcc");
    public static final HostRequirement MAKE = HostRequirement.tool("make", "make");
    public static final HostRequirement FLEX = HostRequirement.tool("flex", "flex");
    public static final HostRequirement BISON = HostRequirement.tool("bison", "bison");
    public static final HostRequirement BC = HostRequirement.tool("bc", "bc");
    public static final HostRequirement PERL = HostRequirement.tool("perl", "perl");
    public static final HostRequirement DPKG_DEB = HostRequirement.tool("dpkg-deb", "dpkg");
    public static final HostRequirement DPKG_QUERY = HostRequirement.tool("dpkg-query", "dpkg");
    public static final HostRequirement APT_GET = HostRequirement.tool("apt-get", "apt");
    public static final HostRequirement APT_CACHE = HostRequirement.tool("apt-cache", "apt");
    public static final HostRequirement TAR = HostRequirement.tool("tar", "tar");
    public static final HostRequirement XZ = HostRequirement.tool("xz", "xz-utils");
    /** Environment layers travel zstd-compressed (docs/oci-artifact.md). */
    public static final HostRequirement ZSTD = HostRequirement.tool("zstd", "zstd");
    /** The user network back end (docs/networking.md). */
    public static final HostRequirement PASST = HostRequirement.tool("passt", "passt");
    /** libc headers: the static guest agent and the kernel's host programs need them. */
    public static final HostRequirement LIBC_HEADERS = HostRequirement.file("/usr/include/stdio.h", "libc6-dev");
    /** objtool (built during every x86_64 kernel build) includes libelf's gelf.h. */
    public static final HostRequirement LIBELF_HEADERS = HostRequirement.file("/usr/include/gelf.h", "libelf-dev");
    /** The static libc the agent links against. */
    public static final HostRequirement STATIC_LIBC =
            HostRequirement.file("/usr/lib/x86_64-linux-gnu/libc.a", "libc6-dev");

    /** Fetching and unpacking the pinned linux-source .deb. */
    public static final List<HostRequirement> KERNEL_FETCH = List.of(APT_GET, APT_CACHE, DPKG_DEB, TAR, XZ);

    /** Configuring and compiling the kernel. */
    public static final List<HostRequirement> KERNEL_BUILD =
            List.of(GCC, MAKE, FLEX, BISON, BC, PERL, LIBC_HEADERS, LIBELF_HEADERS);

    /** Compiling the static guest agent. */
    public static final List<HostRequirement> AGENT_BUILD = List.of(GCC, MAKE, LIBC_HEADERS, STATIC_LIBC);

    /** Bootstrapping a Debian tree and packing it into an ext4 image. */
    public static final List<HostRequirement> ROOTFS_BUILD =
            List.of(MMDEBSTRAP, DPKG_QUERY, TAR, MKE2FS, E2FSCK);

    /** Compressing layers to publish and unpacking pulled ones. */
    public static final List<HostRequirement> OCI_LAYERS = List.of(ZSTD);

    private static final Map<String, String> PACKAGE_BY_TOOL = Stream.of(
                    QEMU, MKE2FS, E2FSCK, DEBUGFS, MMDEBSTRAP, DEBOOTSTRAP, GCC, MAKE, FLEX, BISON, BC, PERL,
                    DPKG_DEB, DPKG_QUERY, APT_GET, APT_CACHE, TAR, XZ, ZSTD, PASST)
            .collect(Collectors.toUnmodifiableMap(HostRequirement::name, HostRequirement::debianPackage));

    private HostRequirements() {
    }

    /** The requirement for a known command name, e.g. {@code "mke2fs"} -> e2fsprogs. */
    public static Optional<HostRequirement> forTool(String command) {
        return Optional.ofNullable(PACKAGE_BY_TOOL.get(command)).map(pkg -> HostRequirement.tool(command, pkg));
    }

    /** Concatenates two requirement lists, keeping the first occurrence of each. */
    public static List<HostRequirement> union(List<HostRequirement> first, List<HostRequirement> second) {
        return Stream.concat(first.stream(), second.stream()).distinct().collect(Collectors.toList());
    }
}
