package dev.pyro.internal.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Checks that a file is a statically linked x86-64 ELF executable, by reading its header and
 * program headers: a dynamically linked program has a PT_INTERP entry naming its loader, and
 * the guest's PID 1 must not depend on one.
 */
final class ElfCheck {
    private static final int PT_INTERP = 3;
    private static final int ET_EXEC = 2;
    private static final int ET_DYN = 3;
    private static final int EM_X86_64 = 62;

    private ElfCheck() {
    }

    /** "x86-64 static" or "x86-64 static-pie" when fine, else why not (as the error detail). */
    record Result(boolean ok, String description) {
    }

    static Result check(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer header = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            if (channel.read(header, 0) < 64) {
                return new Result(false, "too short to be an ELF executable");
            }
            if (header.getInt(0) != 0x464c457f) {
                return new Result(false, "not an ELF file");
            }
            if (header.get(4) != 2 || header.get(5) != 1) {
                return new Result(false, "not a 64-bit little-endian ELF file");
            }
            int type = Short.toUnsignedInt(header.getShort(16));
            int machine = Short.toUnsignedInt(header.getShort(18));
            if (machine != EM_X86_64) {
                return new Result(false, "built for ELF machine " + machine + ", not x86-64");
            }
            if (type != ET_EXEC && type != ET_DYN) {
                return new Result(false, "not an executable (ELF type " + type + ")");
            }
            Optional<String> interp = interpreter(channel, header);
            if (interp.isPresent()) {
                return new Result(false, "dynamically linked (loader " + interp.get() + "); link it with -static");
            }
            return new Result(true, type == ET_EXEC ? "x86-64 static" : "x86-64 static-pie");
        } catch (IOException e) {
            return new Result(false, "unreadable: " + e.getMessage());
        }
    }

    private static Optional<String> interpreter(FileChannel channel, ByteBuffer header) throws IOException {
        long phoff = header.getLong(32);
        int phentsize = Short.toUnsignedInt(header.getShort(54));
        int phnum = Short.toUnsignedInt(header.getShort(56));
        ByteBuffer ph = ByteBuffer.allocate(phentsize).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < phnum; i++) {
            ph.clear();
            if (channel.read(ph, phoff + (long) i * phentsize) < Math.min(phentsize, 40)) {
                throw new IOException("truncated program header table");
            }
            if (ph.getInt(0) == PT_INTERP) {
                long offset = ph.getLong(8);
                int size = (int) Math.min(ph.getLong(32), 256);
                ByteBuffer name = ByteBuffer.allocate(size);
                channel.read(name, offset);
                return Optional.of(new String(name.array(), 0, Math.max(0, size - 1),
                        java.nio.charset.StandardCharsets.US_ASCII));
            }
        }
        return Optional.empty();
    }
}
