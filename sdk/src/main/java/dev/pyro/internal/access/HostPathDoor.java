package dev.pyro.internal.access;

import dev.pyro.HostAccess;
import dev.pyro.HostAccessDeniedException;
import dev.pyro.PyroException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.stream.Collectors;

/**
 * The host-path door: every host path a request names (a workspace seed, a sync source, an
 * export output) passes here before anything opens it, and the caller uses only the path this
 * returns.
 *
 * <p>Unrestricted ({@link HostAccess#unrestricted()}: the SDK and the CLI, whose user typed the
 * path), a path is only made absolute. Confined, a relative path resolves against the project,
 * and the path is then resolved one component at a time, as the kernel would, except that the
 * walk never stands in a directory that is neither inside an allowed root nor on the way down
 * to one (an ancestor of a root): a symlink is followed only while where it leads stays in that
 * area, {@code ..} likewise, and the result must lie inside a root. So nothing outside the
 * roots is read or written, nor even looked at beyond the first component that leaves them.
 * The returned path is real (no symlink in it).
 *
 * <p>What this cannot stop: between this check and the use of the path, a user who can write
 * inside a root could swap a directory for a symlink. The roots are the operator's own
 * directories; docs/security.md says so.
 */
public final class HostPathDoor {
    /** Symlinks followed in one resolution, as Linux's MAXSYMLINKS. */
    static final int MAX_LINKS = 40;

    private final HostAccess access;

    public HostPathDoor(HostAccess access) {
        this.access = access;
    }

    /**
     * A host path to read from (a seed, a sync source).
     *
     * @param noun what to call it in messages, e.g. "seed path"
     * @return the absolute path to open; real (symlinks resolved) when confined
     * @throws HostAccessDeniedException when it lies or leads outside the allowed roots
     * @throws PyroException NOT_FOUND when (a directory on the way to) it does not exist
     */
    public Path readable(Path raw, String noun) {
        Path abs = absolute(raw);
        if (!access.isConfined()) {
            return abs;
        }
        Path real = walk(abs, abs, noun, "nothing was read", () -> new PyroException(PyroException.Kind.NOT_FOUND,
                noun + " " + abs + " does not exist; name an existing path under " + rootList()));
        if (!inside(real)) {
            throw outside(abs, noun, "nothing was read");
        }
        return real;
    }

    /**
     * A host path to create (an export's output): its directory must exist inside an allowed
     * root. Whether the path itself exists is left to the writer, which refuses to replace
     * anything (and checks again when it places the output).
     *
     * @return the absolute path to create; its directory real when confined
     * @throws HostAccessDeniedException when it lies or leads outside the allowed roots
     * @throws PyroException INVALID_ARGUMENT when its directory does not exist
     */
    public Path creatable(Path raw, String noun) {
        Path abs = absolute(raw);
        if (!access.isConfined()) {
            return abs;
        }
        Path parent = abs.getParent();
        Path name = abs.getFileName();
        if (parent == null || name == null) {
            throw outside(abs, noun, "nothing was written");
        }
        Path realParent = walk(parent, abs, noun, "nothing was written", () -> PyroException.invalidArgument(
                "the directory of " + noun + " " + abs + " does not exist; create it first or choose another " + noun));
        if (!inside(realParent)) {
            throw outside(abs, noun, "nothing was written");
        }
        if (!Files.isDirectory(realParent, LinkOption.NOFOLLOW_LINKS)) {
            throw PyroException.invalidArgument("the directory of " + noun + " " + abs + " is not a directory;"
                    + " choose another " + noun);
        }
        return realParent.resolve(name.toString());
    }

    private Path absolute(Path raw) {
        return (raw.isAbsolute() ? raw : access.base().resolve(raw)).normalize();
    }

    /**
     * Resolves {@code target} (absolute, lexically normal) component by component within the
     * allowed area; returns its real path.
     *
     * @param shown the path the caller named, for messages
     */
    private Path walk(Path target, Path shown, String noun, String consequence,
            java.util.function.Supplier<PyroException> missing) {
        Deque<String> todo = new ArrayDeque<>();
        for (Path c : target) {
            todo.addLast(c.toString());
        }
        Path cur = target.getRoot();
        Path lastLink = null;
        int links = 0;
        while (!todo.isEmpty()) {
            String c = todo.removeFirst();
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                cur = cur.getParent() == null ? cur : cur.getParent();
                if (!inArea(cur)) {
                    throw leaves(shown, lastLink, noun, consequence);
                }
                continue;
            }
            Path next = cur.resolve(c);
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(next, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                throw missing.get();
            } catch (AccessDeniedException e) {
                throw PyroException.invalidArgument("cannot look up " + next + " (permission denied) while resolving "
                        + noun + " " + shown + "; " + consequence);
            } catch (IOException e) {
                throw missing.get(); // ENOTDIR and the like: the path does not name anything
            }
            if (a.isSymbolicLink()) {
                if (++links > MAX_LINKS) {
                    throw PyroException.invalidArgument(noun + " " + shown + " goes through more than " + MAX_LINKS
                            + " symlinks; " + consequence);
                }
                Path linkTarget;
                try {
                    linkTarget = Files.readSymbolicLink(next);
                } catch (IOException e) {
                    throw missing.get();
                }
                lastLink = next;
                java.util.List<String> names = new java.util.ArrayList<>();
                for (Path p : linkTarget) {
                    names.add(p.toString());
                }
                for (int i = names.size() - 1; i >= 0; i--) {
                    todo.addFirst(names.get(i));
                }
                if (linkTarget.isAbsolute()) {
                    cur = linkTarget.getRoot();
                }
                continue;
            }
            if (!inArea(next)) {
                throw leaves(shown, lastLink, noun, consequence);
            }
            if (!todo.isEmpty() && !a.isDirectory()) {
                throw missing.get();
            }
            cur = next;
        }
        return cur;
    }

    /** Inside a root, or an ancestor of one (on the way down to it). */
    private boolean inArea(Path real) {
        for (Path root : access.roots()) {
            if (real.startsWith(root) || root.startsWith(real)) {
                return true;
            }
        }
        return false;
    }

    private boolean inside(Path real) {
        return access.roots().stream().anyMatch(real::startsWith);
    }

    private HostAccessDeniedException leaves(Path target, Path link, String noun, String consequence) {
        if (link == null) {
            return outside(target, noun, consequence);
        }
        return denied(noun + " " + target + " leads through the symlink " + link + " out of the allowed roots ("
                + rootList() + "); " + consequence);
    }

    private HostAccessDeniedException outside(Path abs, String noun, String consequence) {
        return denied(noun + " " + abs + " is outside the allowed roots (" + rootList() + "); " + consequence);
    }

    private HostAccessDeniedException denied(String message) {
        return new HostAccessDeniedException(HostAccess.Door.HOST_PATHS, message, access.roots());
    }

    private String rootList() {
        return access.roots().stream().map(Path::toString).collect(Collectors.joining(", "));
    }
}
