package dev.pyro.internal.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a bootstrapped Debian tree into an environment image's tree: the recipe's removals,
 * empty apt caches and lists, host name files, an empty fstab and resolv.conf (the guest agent
 * mounts everything; nothing may leak from the build host), /workspace, the guest agent at
 * /usr/sbin/pyro-agent and /etc/pyro/environment.json.
 *
 * <p>Every path is resolved inside the tree without following the tree's own symlinks out of
 * it: a Debian tree has absolute symlinks, and following one would touch the host.
 */
final class ImageTweaks {
    static final String AGENT_PATH = "/usr/sbin/pyro-agent";
    static final String ENVIRONMENT_JSON = "/etc/pyro/environment.json";

    /** Removed from every image: caches and package lists apt re-creates on its first update. */
    private static final List<String> ALWAYS_REMOVE = List.of(
            "/var/lib/apt/lists/*", "/var/cache/apt/*.bin", "/var/cache/apt/archives/*.deb",
            "/var/cache/ldconfig/aux-cache", "/etc/machine-id", "/var/lib/dbus/machine-id");

    private final Path tree;
    private final Path realTree;

    ImageTweaks(Path tree) {
        this.tree = tree;
        try {
            this.realTree = tree.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Applies every tweak; {@code environmentJson} is written to {@value #ENVIRONMENT_JSON}. */
    void apply(EnvironmentRecipe recipe, Path agentBinary, byte[] environmentJson) {
        List<String> removals = new ArrayList<>(ALWAYS_REMOVE);
        removals.addAll(recipe.image().remove());
        for (String pattern : removals) {
            remove(pattern);
        }
        directory("/var/lib/apt/lists/partial", "rwx------");
        directory("/var/cache/apt/archives/partial", "rwx------");
        String host = recipe.image().hostname();
        file("/etc/hostname", host + "\n", "rw-r--r--");
        file("/etc/hosts", "127.0.0.1\tlocalhost\n127.0.1.1\t" + host + "\n"
                + "::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n",
                "rw-r--r--");
        file("/etc/fstab", "# pyro: the guest agent mounts every file system; no entries here.\n", "rw-r--r--");
        file("/etc/resolv.conf", "", "rw-r--r--");
        directory("/workspace", "rwxr-xr-x");
        directory("/etc/pyro", "rwxr-xr-x");
        try {
            Path agent = inside(AGENT_PATH);
            Files.deleteIfExists(agent);
            Files.copy(agentBinary, agent);
            Files.setPosixFilePermissions(agent, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path env = inside(ENVIRONMENT_JSON);
            Files.deleteIfExists(env);
            Files.write(env, environmentJson);
            Files.setPosixFilePermissions(env, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes an absolute path or a glob in its last segment, e.g. {@code /var/log/*}. */
    void remove(String pattern) {
        int slash = pattern.lastIndexOf('/');
        String parent = pattern.substring(0, slash);
        String glob = pattern.substring(slash + 1);
        Path dir = inside(parent.isEmpty() ? "/" : parent);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DirectoryStream<Path> matches = Files.newDirectoryStream(dir, glob)) {
            for (Path match : matches) {
                if (Files.isDirectory(match, LinkOption.NOFOLLOW_LINKS)) {
                    Trees.deleteRecursively(match);
                } else {
                    Files.deleteIfExists(match);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + pattern + " from " + tree, e);
        }
    }

    /** Replaces whatever is at {@code path} (file or symlink) with a regular file. */
    private void file(String path, String content, String mode) {
        try {
            Path file = inside(path);
            Files.deleteIfExists(file);
            Files.writeString(file, content, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path + " in " + tree, e);
        }
    }

    private void directory(String path, String mode) {
        try {
            Path dir = inside(path);
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + path + " in " + tree, e);
        }
    }

    /**
     * The host path of an absolute in-tree path, after checking that its existing parent
     * directories resolve (through in-tree relative symlinks such as /bin -> usr/bin) to a
     * place inside the tree.
     */
    Path inside(String absolute) {
        if (!absolute.startsWith("/") || absolute.contains("..")) {
            throw new IllegalArgumentException("not an absolute in-tree path: " + absolute);
        }
        Path target = tree.resolve(absolute.substring(1));
        Path existing = target.getParent();
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        try {
            if (existing != null && !existing.toRealPath().startsWith(realTree)) {
                throw new IllegalStateException(absolute + " leads out of the image tree through a symlink");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return target;
    }

    /** The content of /etc/pyro/environment.json: what a process inside the guest can learn. */
    static byte[] environmentJson(EnvironmentRecipe recipe, String imageKey, List<PackageVersion> packages,
            String agentSha256) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("name", recipe.name());
        doc.put("version", recipe.version());
        doc.put("description", recipe.description());
        doc.put("image_key", imageKey);
        doc.put("agent_sha256", agentSha256);
        doc.put("packages", packages);
        return Json.bytes(doc);
    }
}
