package dev.pyro.internal.run;

import dev.pyro.EnvironmentDetails;
import dev.pyro.EnvironmentInfo;
import dev.pyro.PruneResult;
import dev.pyro.PublishResult;
import dev.pyro.PullResult;
import dev.pyro.RuntimeStatus;
import dev.pyro.internal.runtime.Capability;
import dev.pyro.internal.runtime.EnvironmentConfig;
import dev.pyro.internal.runtime.EnvironmentState;
import dev.pyro.internal.runtime.InstalledEnvironment;
import dev.pyro.internal.runtime.InstalledFile;
import dev.pyro.internal.runtime.PruneOutcome;
import dev.pyro.internal.runtime.PublishOutcome;
import dev.pyro.internal.runtime.PullOutcome;
import dev.pyro.internal.runtime.PulledInfo;
import dev.pyro.internal.runtime.RootfsManifest;
import dev.pyro.internal.runtime.RuntimeLock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Maps the runtime's environment states and outcomes onto the public records. */
public final class EnvironmentViews {
    private EnvironmentViews() {
    }

    /** The public summary of one environment. */
    public static EnvironmentInfo info(EnvironmentState s, Map<Capability, Boolean> flags) {
        InstalledEnvironment i = s.installed();
        Optional<EnvironmentInfo.Source> source = Optional.ofNullable(s.source())
                .map(src -> RuntimeLock.PULLED.equals(src) ? EnvironmentInfo.Source.PULLED : EnvironmentInfo.Source.BUILT);
        String version = i != null ? i.manifest().environmentVersion() : s.recipe().version();
        return new EnvironmentInfo(s.name(), s.recipe().description(), version,
                s.name().equals(OneShotRunner.DEFAULT_ENVIRONMENT), i != null, source, i == null ? 0 : i.sizeBytes(),
                Optional.ofNullable(i == null ? null : i.digest()), Optional.ofNullable(i == null ? null : i.reference()),
                StatusViews.state(s.status().state()), Optional.ofNullable(s.status().detail()),
                StatusViews.capabilities(flags));
    }

    /** Every environment of a status. */
    public static List<EnvironmentInfo> infos(dev.pyro.internal.runtime.RuntimeStatus status) {
        return status.environments().stream().map(s -> info(s, status.capabilitiesOf(s.name()))).toList();
    }

    /** Everything about one environment. */
    public static EnvironmentDetails details(EnvironmentState s, Map<Capability, Boolean> flags) {
        EnvironmentInfo info = info(s, flags);
        InstalledEnvironment i = s.installed();
        if (i == null) {
            return new EnvironmentDetails(info, Optional.empty(), s.recipe().base().suite(), List.of(),
                    s.recipe().base().packages(), List.of(), Optional.empty(), Optional.empty(), List.of(),
                    Optional.empty(), Optional.empty(), Optional.empty());
        }
        RootfsManifest m = i.manifest();
        List<EnvironmentDetails.Package> packages = m.packages().stream()
                .map(p -> new EnvironmentDetails.Package(p.name(), p.version(), p.architecture())).toList();
        EnvironmentConfig.Kernel k = i.kernel();
        EnvironmentDetails.Kernel kernel = new EnvironmentDetails.Kernel(i.kernelRelease(), i.kernelSha256(),
                k == null ? "" : k.sourcePackage(), k == null ? "" : k.sourceVersion(), k == null ? "" : k.configSha256());
        List<EnvironmentDetails.Artifact> artifacts = new ArrayList<>();
        PulledInfo pulled = i.pulledInfo();
        if (pulled != null) {
            for (InstalledFile f : pulled.files()) {
                Optional<PulledInfo.Layer> layer = pulled.layers().stream().filter(l -> l.file().equals(f.name())).findFirst();
                artifacts.add(new EnvironmentDetails.Artifact(f.name(), i.dir().resolve(f.name()), f.sha256(), f.size(),
                        layer.map(PulledInfo.Layer::mediaType), layer.map(PulledInfo.Layer::digest)));
            }
        } else {
            artifacts.add(artifact("bzImage", i.bzImage(), i.kernelSha256()));
            artifacts.add(artifact("vmlinux", i.vmlinux(), i.vmlinuxSha256()));
            for (InstalledFile f : m.files()) {
                artifacts.add(new EnvironmentDetails.Artifact(f.name(), i.dir().resolve(f.name()), f.sha256(), f.size(),
                        Optional.empty(), Optional.empty()));
            }
        }
        return new EnvironmentDetails(info, Optional.of(i.dir()), m.suite(), m.aptSources(), m.requestedPackages(),
                packages, Optional.of(kernel), Optional.of(i.agentSha256()), artifacts, Optional.ofNullable(m.builtAt()),
                Optional.ofNullable(pulled == null ? null : pulled.pulledAt()),
                Optional.ofNullable(pulled == null ? null : pulled.configDigest()));
    }

    private static EnvironmentDetails.Artifact artifact(String name, Path path, String sha256) {
        long size;
        try {
            size = java.nio.file.Files.size(path);
        } catch (java.io.IOException e) {
            size = -1;
        }
        return new EnvironmentDetails.Artifact(name, path, sha256, size, Optional.empty(), Optional.empty());
    }

    public static PullResult pull(PullOutcome o, EnvironmentInfo installed) {
        return new PullResult(installed, o.reference(), o.digest(), o.totalBytes(), o.downloadedBytes(), o.upToDate(),
                o.elapsed().toMillis(), o.downloadTime().toMillis());
    }

    public static PublishResult publish(PublishOutcome o) {
        return new PublishResult(o.environment(), o.reference(), o.digest(), o.layers().stream()
                .map(l -> new PublishResult.Layer(l.title(), l.mediaType(), l.digest(), l.size(), l.reused())).toList(),
                o.uploadedBytes(), o.reusedBytes(), o.elapsed().toMillis());
    }

    public static PruneResult prune(PruneOutcome o) {
        return new PruneResult(o.removed().stream().map(r -> new PruneResult.Removed(Optional.ofNullable(r.environment()),
                r.path(), r.reason(), r.bytes())).toList(), o.kept(), o.freedBytes());
    }

    static RuntimeStatus.State state(dev.pyro.internal.runtime.ComponentState state) {
        return StatusViews.state(state);
    }
}
