package io.dinostream.eval;

import io.dinostream.config.Cli;
import io.dinostream.features.Features;
import io.dinostream.features.KnnClassifier;
import io.dinostream.features.KnnResult;

import java.nio.file.Path;
import java.util.List;

/**
 * The {@code knn} command: k-NN top-1 / top-5 accuracy of labelled query features against a
 * labelled bank, both {@link Features} files (as eval_knn.py's train and val features).
 */
public final class KnnCommand {

    private KnnCommand() {}

    /** Parses args, evaluates and prints the result; returns it, or null when --help was asked for. */
    public static KnnResult run(List<String> args) {
        Cli cli = new Cli("knn: weighted k-NN accuracy of query features against a labelled bank (DINO eval_knn.py)")
                .option("bank", "", "features file of the labelled bank (training set), required")
                .option("queries", "", "features file of the labelled queries (validation set), required")
                .option("k", Integer.toString(KnnClassifier.DEFAULT_K), "neighbours per query")
                .option("temperature", Double.toString(KnnClassifier.DEFAULT_TEMPERATURE),
                        "T in the neighbour weight exp(similarity / T)");
        if (!cli.parse(args)) {
            return null;
        }
        for (String required : List.of("bank", "queries")) {
            if (cli.get(required).isBlank()) {
                throw new IllegalArgumentException("--" + required + " FILE is required\n\n" + cli.help());
            }
        }
        int k = cli.getInt("k");
        double temperature = cli.getDouble("temperature");
        Features bank = Features.read(Path.of(cli.get("bank")));
        Features queries = Features.read(Path.of(cli.get("queries")));
        long t0 = System.nanoTime();
        KnnClassifier knn = new KnnClassifier(bank, k, temperature);
        KnnResult result = knn.evaluate(queries);
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("bank %d x %d (%d classes), queries %d%n",
                bank.size(), bank.dim(), knn.classes().size(), queries.size());
        if (knn.k() != k) {
            System.out.printf("k %d is more than the bank holds: using all %d rows%n", k, knn.k());
        }
        System.out.printf("k %d, T %s: top-1 %.2f %%, top-5 %.2f %% (%.1f s)%n",
                result.k(), cli.get("temperature").trim(), result.top1(), result.top5(), seconds);
        return result;
    }
}
