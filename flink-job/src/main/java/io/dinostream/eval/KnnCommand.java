package io.dinostream.eval;

import io.dinostream.config.Option;
import io.dinostream.config.OptionSet;
import io.dinostream.config.OptionValues;
import io.dinostream.features.Features;
import io.dinostream.features.KnnClassifier;
import io.dinostream.features.KnnResult;

import java.nio.file.Path;
import java.util.List;

/**
 * The {@code knn} command: k-NN top-1 / top-5 accuracy of labelled query features against a
 * labelled bank, both {@link Features} files (.npz, as {@code embed} writes them; as eval_knn.py's
 * train and val features).
 */
public final class KnnCommand {

    static final Option<String> BANK =
            Option.text("bank", "", ".npz features file (from embed) of the labelled bank (training set), required");
    static final Option<String> QUERIES =
            Option.text("queries", "", ".npz features file (from embed) of the labelled queries (validation set), required");
    static final Option<Integer> K = Option.integer("k", Integer.toString(KnnClassifier.DEFAULT_K), "neighbours per query");
    static final Option<Double> TEMPERATURE = Option.number("temperature",
            Double.toString(KnnClassifier.DEFAULT_TEMPERATURE), "T in the neighbour weight exp(similarity / T)");

    static final OptionSet OPTIONS = OptionSet.of(
            "knn: weighted k-NN accuracy of query features against a labelled bank (DINO eval_knn.py)",
            BANK, QUERIES, K, TEMPERATURE);

    private KnnCommand() {}

    /** Parses args, evaluates and prints the result; returns it, or null when --help was asked for. */
    public static KnnResult run(List<String> args) {
        OptionValues given = OPTIONS.parseArgs(args);
        if (given == null) {
            System.out.println(OPTIONS.help());
            return null;
        }
        for (Option<String> required : List.of(BANK, QUERIES)) {
            if (given.get(required).isEmpty()) {
                throw new IllegalArgumentException(required + " FILE is required\n\n" + OPTIONS.help());
            }
        }
        int k = given.get(K);
        double temperature = given.get(TEMPERATURE);
        Features bank = Features.read(Path.of(given.get(BANK)));
        Features queries = Features.read(Path.of(given.get(QUERIES)));
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
                result.k(), given.text(TEMPERATURE), result.top1(), result.top5(), seconds);
        return result;
    }
}
