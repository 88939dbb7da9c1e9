package dev.pyro.internal.runtime;

import dev.pyro.PyroException;
import dev.pyro.internal.host.Exec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Packs a directory tree into an ext4 image with {@code mke2fs -d}, without mounting anything.
 * The image is only ever mounted read-only, so it has no journal and no reserved blocks.
 * Its features come from our own mke2fs.conf rather than the host's, and its UUID, directory
 * hash seed and time stamps are fixed, so that the image depends on its inputs, not on the host.
 */
final class Ext4Image {
    /** Time stamps mke2fs writes itself (superblock, root and lost+found) use this instead of now. */
    private static final String FAKE_TIME = "1700000000";
    private static final String LABEL = "pyro-root";

    /** Features the 6.1 guest kernel reads; no has_journal and no resize_inode (never written or grown). */
    private static final String CONFIG = String.join("\n",
            "[defaults]",
            "\tbase_features = sparse_super,large_file,filetype,dir_index,ext_attr",
            "\tdefault_mntopts = acl,user_xattr",
            "\tblocksize = 4096",
            "\tinode_size = 256",
            "\tinode_ratio = 16384",
            "",
            "[fs_types]",
            "\text4 = {",
            "\t\tfeatures = extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize",
            "\t}",
            "\tsmall = {",
            "\t\tinode_ratio = 16384",
            "\t}",
            "\tfloppy = {",
            "\t\tinode_ratio = 16384",
            "\t}",
            "");

    private final Path mke2fs;
    private final Path e2fsck;

    Ext4Image(Path mke2fs, Path e2fsck) {
        this.mke2fs = mke2fs;
        this.e2fsck = e2fsck;
    }

    /** A UUID derived from a key, so an image's identity follows its inputs. */
    static UUID uuidFor(String key, String purpose) {
        return UUID.nameUUIDFromBytes((purpose + ":" + key).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Creates {@code image} from {@code tree}, sized from {@link TreeSize} (retrying once with
     * half as much again if mke2fs runs out of space), then checks it with {@code e2fsck -fn}.
     */
    void create(Path tree, Path image, TreeSize size, String key, Path workDir, BuildLog log) {
        Path config = workDir.resolve("mke2fs.conf");
        try {
            Files.writeString(config, CONFIG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long bytes = size.imageBytes();
        long inodes = size.inodesToReserve();
        for (int attempt = 0; ; attempt++) {
            try {
                Files.deleteIfExists(image);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            List<String> argv = List.of(mke2fs.toString(), "-q", "-F", "-t", "ext4", "-b", "4096", "-I", "256",
                    "-N", Long.toString(inodes), "-m", "0", "-L", LABEL,
                    "-U", uuidFor(key, "fs").toString(),
                    "-E", "hash_seed=" + uuidFor(key, "hash") + ",root_owner=0:0,nodiscard",
                    "-d", tree.toString(), image.toString(), (bytes / 1024) + "k");
            log.command(argv);
            Exec.Result result = Exec.capture(argv, workDir,
                    Map.of("MKE2FS_CONFIG", config.toString(), "E2FSPROGS_FAKE_TIME", FAKE_TIME), Duration.ZERO);
            log.line(result.stdout() + result.stderr());
            if (result.ok()) {
                break;
            }
            boolean full = (result.stdout() + result.stderr()).toLowerCase(java.util.Locale.ROOT).contains("space");
            if (!full || attempt > 0) {
                throw BuildCommands.failed("mke2fs could not build the image", log);
            }
            bytes = bytes + bytes / 2;
        }
        List<String> check = List.of(e2fsck.toString(), "-fn", image.toString());
        log.command(check);
        Exec.Result fsck = Exec.capture(check, workDir, Map.of(), Duration.ofMinutes(10));
        log.line(fsck.stdout() + fsck.stderr());
        if (!fsck.ok()) {
            throw new PyroException(PyroException.Kind.BUILD_FAILED,
                    "e2fsck -fn found errors in the new image (exit " + fsck.exitCode() + "; log: " + log.file() + ")");
        }
    }
}
