package dev.pyro.internal.guest;

/**
 * What {@code STAT} says about a path in the guest (a symlink is described, not followed).
 *
 * @param kind {@link Frame#KIND_DIRECTORY}, {@link Frame#KIND_FILE}, {@link Frame#KIND_SYMLINK}
 *     or {@link Frame#KIND_OTHER} (fifo, socket, device)
 * @param mode permission bits ({@code & 07777})
 * @param size a regular file's size, else 0
 * @param mtimeNs modification time, nanoseconds since the epoch
 * @param target a symlink's content (raw bytes), else empty
 */
public record GuestStat(int kind, int mode, long size, long mtimeNs, byte[] target) {
    static GuestStat of(Frame.StatOk ok) {
        return new GuestStat(ok.kind(), ok.mode(), ok.size(), ok.mtimeNs(), ok.target());
    }

    public boolean isDirectory() {
        return kind == Frame.KIND_DIRECTORY;
    }

    public boolean isFile() {
        return kind == Frame.KIND_FILE;
    }

    public boolean isSymlink() {
        return kind == Frame.KIND_SYMLINK;
    }
}
