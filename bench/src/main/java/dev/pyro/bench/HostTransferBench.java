package dev.pyro.bench;

import dev.pyro.ProgressListener;
import dev.pyro.internal.archive.ImportCaps;
import dev.pyro.internal.archive.Transfers;
import dev.pyro.internal.archive.WorkspaceFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The host's own share of a transfer, without a VM: the dry run (walk and rules), a seed into a
 * host-compat workspace (rules, staging with {@code TreeWriter}, apply) and an export of it back
 * (rules, {@code ExportWriter}), of {@link TransferBench}'s 100 MB tree, on tmpfs so that the
 * disk does not drown the code's cost. Medians of RUNS after two warm-up rounds, in ms. Used to
 * compare two builds of the transfer code where the VM benchmark's spread is too wide.
 */
public final class HostTransferBench {
    private HostTransferBench() {
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 9;
        Path work = Files.createTempDirectory(Path.of("/dev/shm"), "pyro-hosttransferbench-");
        try {
            Path tree = work.resolve("tree");
            TransferBench.makeTree(tree);
            List<Long> validate = new ArrayList<>();
            List<Long> seed = new ArrayList<>();
            List<Long> export = new ArrayList<>();
            for (int i = 0; i < runs + 2; i++) {
                Path ws = Files.createDirectories(work.resolve("ws" + i));
                long t0 = System.nanoTime();
                Transfers.validate(Transfers.inspectSeed(tree), null, ImportCaps.defaults());
                long t1 = System.nanoTime();
                WorkspaceFiles files = Transfers.host(ws);
                Transfers.seed(files, tree, ImportCaps.defaults(), ProgressListener.NONE);
                long t2 = System.nanoTime();
                Transfers.export(files, "/workspace", work.resolve("out" + i), ImportCaps.defaults(),
                        ProgressListener.NONE);
                long t3 = System.nanoTime();
                if (i >= 2) {
                    validate.add((t1 - t0) / 1_000_000);
                    seed.add((t2 - t1) / 1_000_000);
                    export.add((t3 - t2) / 1_000_000);
                }
                TransferBench.run(List.of("rm", "-rf", ws.toString(), work.resolve("out" + i).toString()));
            }
            System.out.printf("host-compat, 100 MB tree on tmpfs, medians of %d: dry run %d ms, seed %d ms, export %d ms%n",
                    runs, median(validate), median(seed), median(export));
        } finally {
            TransferBench.run(List.of("rm", "-rf", work.toString()));
        }
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
