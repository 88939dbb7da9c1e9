package dev.pyro.internal.runtime;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Lock entries for installed artifacts. */
final class LockEntries {
    private LockEntries() {
    }

    static RuntimeLock.Kernel kernel(KernelArtifact kernel) {
        KernelInfo info = kernel.info();
        return new RuntimeLock.Kernel(info.key(), kernel.dir().toString(), info.release(), info.source().packageName(),
                info.source().version(), info.source().sha256(), info.fragmentSha256(), info.configSha256(),
                info.file(KernelInfo.BZIMAGE).sha256(), info.file(KernelInfo.VMLINUX).sha256(), false,
                info.pinned() == null ? null : info.pinned().version(),
                info.pinned() == null ? null : info.pinned().sha256(), info.sourceChoice());
    }

    static RuntimeLock.Agent agent(AgentArtifact agent) {
        AgentInfo info = agent.info();
        return new RuntimeLock.Agent(info.key(), agent.dir().toString(), info.sourceSha256(), info.compiler(),
                info.binarySha256(), false);
    }

    static RuntimeLock.Environment environment(RootfsArtifact rootfs) {
        RootfsManifest m = rootfs.manifest();
        return new RuntimeLock.Environment(m.key(), rootfs.dir().toString(), m.environmentVersion(), m.baseKey(),
                m.packagesSha256(), m.packages().size(), rootfs.manifestFile().toString(),
                Hashes.sha256(rootfs.manifestFile()), m.agentSha256(), m.imageSha256(), m.imageSize(), false,
                RuntimeLock.BUILT, null, null, null, null, versions(m.packages()));
    }

    static RuntimeLock.Environment pulled(PulledEnvironment p) {
        PulledInfo info = p.info();
        EnvironmentConfig c = info.config();
        InstalledFile image = info.file(EnvironmentConfig.IMAGE);
        return new RuntimeLock.Environment(info.key(), p.dir().toString(), c.version(), c.baseKey(),
                RootfsBuilder.packagesSha256(c.requestedPackages()), c.packages().size(), p.manifestFile().toString(),
                info.file(EnvironmentConfig.BUILD_MANIFEST).sha256(), c.agentSha256(), image.sha256(), image.size(),
                false, RuntimeLock.PULLED, info.reference(), info.digest(), c.kernel().release(), p.kernelSha256(),
                versions(c.packages()));
    }

    private static Map<String, String> versions(List<PackageVersion> packages) {
        Map<String, String> versions = new LinkedHashMap<>();
        packages.forEach(p -> versions.put(p.name(), p.version()));
        return versions;
    }
}
