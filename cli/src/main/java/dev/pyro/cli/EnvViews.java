package dev.pyro.cli;

import dev.pyro.EnvironmentDetails;
import dev.pyro.EnvironmentInfo;
import dev.pyro.PruneResult;
import dev.pyro.PublishResult;
import dev.pyro.PullResult;
import java.util.List;

/** Plain-text renderings of the environment commands' results. */
final class EnvViews {
    private EnvViews() {
    }

    static String list(List<EnvironmentInfo> environments) {
        StringBuilder b = new StringBuilder();
        b.append(String.format("%-18s %-12s %-7s %-9s %-20s %s%n", "NAME", "INSTALLED", "SOURCE", "SIZE", "DIGEST",
                "DESCRIPTION"));
        for (EnvironmentInfo e : environments) {
            b.append(String.format("%-18s %-12s %-7s %-9s %-20s %s%n", e.name() + (e.isDefault() ? " *" : ""),
                    e.installed() ? "yes" : e.state().wireName().equals("missing") ? "no" : "no (" + e.state().wireName() + ")",
                    e.source().map(EnvironmentInfo.Source::wireName).orElse("-"),
                    e.installed() ? size(e.sizeBytes()) : "-", e.digest().map(EnvViews::shortDigest).orElse("-"),
                    e.description()));
        }
        b.append("* default environment\n");
        return b.toString();
    }

    /** One line for an environment after a build. */
    static String summary(EnvironmentInfo e) {
        return e.name() + ": " + (e.installed() ? "installed" : e.state().wireName()) + e.source()
                .map(s -> " (" + s.wireName() + ")").orElse("") + (e.installed() ? ", " + size(e.sizeBytes()) + ", "
                + e.digest().orElse("") : "") + "\n";
    }

    static String pull(PullResult r) {
        if (r.upToDate()) {
            return r.environment().name() + " is up to date: " + r.reference() + "@" + r.digest() + " (nothing downloaded)\n";
        }
        double seconds = Math.max(r.downloadMs(), 1) / 1000.0;
        return String.format("%s pulled from %s%n  digest %s%n  %s downloaded of %s in %.1f s (%.1f MB/s); installed %s%n",
                r.environment().name(), r.reference(), r.digest(), size(r.downloadedBytes()), size(r.totalBytes()),
                r.durationMs() / 1000.0, r.downloadedBytes() / 1e6 / seconds, size(r.environment().sizeBytes()));
    }

    static String publish(PublishResult r) {
        StringBuilder b = new StringBuilder();
        for (PublishResult.Layer l : r.layers()) {
            b.append(String.format("  %-14s %-52s %9s  %s%s%n", l.title(), l.mediaType(), size(l.sizeBytes()),
                    shortDigest(l.digest()), l.reused() ? "  (already there)" : ""));
        }
        b.append(String.format("%s published as %s@%s%n  %s uploaded, %s already there, %.1f s%n", r.environment(),
                r.reference(), r.digest(), size(r.uploadedBytes()), size(r.reusedBytes()), r.durationMs() / 1000.0));
        return b.toString();
    }

    static String prune(PruneResult r) {
        StringBuilder b = new StringBuilder();
        for (PruneResult.Removed x : r.removed()) {
            b.append("removed ").append(x.path()).append(" (").append(x.reason()).append(", ").append(size(x.bytes()))
                    .append(")\n");
        }
        for (String k : r.kept()) {
            b.append("kept    ").append(k).append('\n');
        }
        b.append(r.removed().isEmpty() ? "nothing to remove" : "freed " + size(r.freedBytes())).append('\n');
        return b.toString();
    }

    static String inspect(EnvironmentDetails d) {
        EnvironmentInfo e = d.environment();
        StringBuilder b = new StringBuilder();
        b.append(e.name()).append(e.isDefault() ? " (default)" : "").append(": ").append(e.description()).append('\n');
        line(b, "version", e.version());
        line(b, "installed", e.installed() ? "yes" : "no (" + e.state().wireName()
                + e.detail().map(x -> ": " + x).orElse("") + ")");
        line(b, "source", e.source().map(EnvironmentInfo.Source::wireName).orElse("-"));
        e.reference().ifPresent(r -> line(b, "reference", r));
        e.digest().ifPresent(x -> line(b, "digest", x));
        d.configDigest().ifPresent(x -> line(b, "config digest", x));
        if (e.installed()) {
            line(b, "size", size(e.sizeBytes()));
        }
        d.directory().ifPresent(x -> line(b, "directory", x.toString()));
        d.builtAt().ifPresent(x -> line(b, "built at", x));
        d.pulledAt().ifPresent(x -> line(b, "pulled at", x));
        line(b, "suite", d.suite() + (d.aptSources().isEmpty() ? "" : " (" + String.join("; ", d.aptSources()) + ")"));
        d.kernel().ifPresent(k -> line(b, "kernel", k.release() + " from " + k.sourcePackage() + " " + k.sourceVersion()
                + ", bzImage sha256 " + k.sha256()));
        d.agentSha256().ifPresent(x -> line(b, "agent sha256", x));
        line(b, "capabilities", HumanViews.capabilities(e.capabilities()));
        if (!d.artifacts().isEmpty()) {
            b.append("artifacts:\n");
            for (EnvironmentDetails.Artifact a : d.artifacts()) {
                b.append(String.format("  %-18s %9s  sha256:%s%s%n", a.name(), size(a.sizeBytes()), a.sha256(),
                        a.mediaType().map(m -> "  (" + m + a.layerDigest().map(x -> " " + shortDigest(x)).orElse("") + ")")
                                .orElse("")));
            }
        }
        line(b, "requested", String.join(", ", d.requestedPackages()));
        if (!d.packages().isEmpty()) {
            b.append("packages (").append(d.packages().size()).append("):\n");
            for (EnvironmentDetails.Package p : d.packages()) {
                b.append(String.format("  %-32s %s%n", p.name(), p.version()));
            }
        }
        return b.toString();
    }

    private static void line(StringBuilder b, String name, String value) {
        b.append(String.format("%-14s %s%n", name + ":", value));
    }

    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1 << 20) {
            return String.format("%.1f KiB", bytes / 1024.0);
        }
        return String.format("%.1f MiB", bytes / 1048576.0);
    }

    static String shortDigest(String digest) {
        return digest.length() > 19 ? digest.substring(0, 19) : digest;
    }
}
