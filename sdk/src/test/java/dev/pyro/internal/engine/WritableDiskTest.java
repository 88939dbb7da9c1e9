package dev.pyro.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyro.PyroException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WritableDiskTest {
    @TempDir
    Path tmp;

    @Test
    void makesASparseCleanExt4DiskQuickly() throws Exception {
        Path disk = tmp.resolve("vms/abc/disk.ext4");
        long start = System.nanoTime();
        WritableDisk.create(disk, 10);
        long ms = (System.nanoTime() - start) / 1_000_000;
        long allocated = WritableDisk.allocatedBytes(disk);
        System.err.println("mke2fs of a 10 GiB disk: " + ms + " ms, " + allocated / 1024 + " KiB allocated");
        assertThat(WritableDisk.sizeBytes(disk)).isEqualTo(10L << 30);
        assertThat(allocated).isLessThan(64L << 20).isGreaterThan(0);
        assertThat(ms).isLessThan(5_000);
        WritableDisk.CheckResult check = WritableDisk.check(disk);
        assertThat(check.clean()).as(check.output()).isTrue();
        assertThat(check.output()).contains(WritableDisk.LABEL);
        // No temporary file is left next to it.
        try (var files = Files.list(disk.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("disk.ext4");
        }
    }

    @Test
    void refusesAnExistingFileAndBadSizes() throws Exception {
        Path disk = tmp.resolve("disk.ext4");
        Files.writeString(disk, "precious");
        assertThatThrownBy(() -> WritableDisk.create(disk, 1)).isInstanceOfSatisfying(PyroException.class,
                e -> assertThat(e.getMessage()).contains("already exists"));
        assertThat(Files.readString(disk)).isEqualTo("precious");
        assertThatThrownBy(() -> WritableDisk.create(tmp.resolve("x"), 0)).isInstanceOfSatisfying(PyroException.class,
                e -> assertThat(e.kind()).isEqualTo(PyroException.Kind.INVALID_ARGUMENT));
        assertThatThrownBy(() -> WritableDisk.createBytes(tmp.resolve("x"), 1000)).isInstanceOf(PyroException.class);
    }

    @Test
    void checkFindsDamage() throws Exception {
        Path disk = tmp.resolve("disk.ext4");
        WritableDisk.createBytes(disk, 64L << 20);
        assertThat(WritableDisk.check(disk).clean()).isTrue();
        // Wipe the group descriptors right after the superblock (block 1 of a 4 KiB-block fs).
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.seek(4096);
            f.write(new byte[4096]);
        }
        WritableDisk.CheckResult damaged = WritableDisk.check(disk);
        assertThat(damaged.clean()).isFalse();
        assertThat(damaged.exitCode()).isNotZero();
    }
}
