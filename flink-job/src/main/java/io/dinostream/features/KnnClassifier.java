package io.dinostream.features;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * Weighted k-nearest-neighbour classification of frozen features, the DINO evaluation protocol
 * (facebookresearch/dino eval_knn.py {@code knn_classifier}, after Wu et al. 2018):
 *
 * <ol>
 *   <li>bank and query features are L2-normalised ({@link Features#l2Normalized}), so the cosine
 *       similarity is the dot product;
 *   <li>each query takes the k bank rows of highest similarity (all of them when the bank has
 *       fewer than k rows);
 *   <li>each neighbour votes for its class with weight exp(similarity / T);
 *   <li>classes are ranked by their summed weight; top-1 is right when the best class is the
 *       query's, top-5 when the query's class is among the first min(5, k) ranked classes (the
 *       official {@code correct.narrow(1, 0, min(5, k))}). Classes without votes rank after every
 *       voted class.
 * </ol>
 *
 * <p>Classes are the bank's distinct labels, indexed in sorted (String) order; {@link #classes()}
 * lists them. Ties are resolved deterministically where the official code leaves them to
 * {@code torch.topk}/{@code sort}: among neighbours of equal similarity the lower bank row is taken
 * first; among classes of equal summed weight (zero-vote classes included) the lower class index
 * ranks first. Weights are computed as exp((s − s_max) / T) with s_max the query's best
 * similarity: the same ranking as exp(s / T), without overflow at small T.
 *
 * <p>A query whose label is not a bank class can never be predicted and counts as a miss. Bank
 * rows must all be labelled. Similarities are one float32 matrix product per chunk of
 * {@value #CHUNK} queries, on the default DJL engine; the selection of neighbours and the voting
 * run in Java.
 */
public final class KnnClassifier {

    /** The official default ({@code --nb_knn 10 20 100 200}, 20 is the reported one). */
    public static final int DEFAULT_K = 20;

    /** The official default ({@code --temperature 0.07}). */
    public static final double DEFAULT_TEMPERATURE = 0.07;

    /** Queries per similarity matrix product. */
    static final int CHUNK = 256;

    private static final int TOP5 = 5;

    private final Features bank;
    private final int[] bankClass;
    private final String[] classes;
    private final int k;
    private final double temperature;

    /** A classifier over bank with k = {@value #DEFAULT_K} and T = {@value #DEFAULT_TEMPERATURE}. */
    public KnnClassifier(Features bank) {
        this(bank, DEFAULT_K, DEFAULT_TEMPERATURE);
    }

    /** A classifier over bank (every row labelled) with k neighbours and temperature T. */
    public KnnClassifier(Features bank, int k, double temperature) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, got " + k);
        }
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a positive number, got " + temperature);
        }
        if (bank.size() == 0) {
            throw new IllegalArgumentException("the k-NN bank is empty: it needs labelled features to vote");
        }
        TreeSet<String> sorted = new TreeSet<>();
        for (int i = 0; i < bank.size(); i++) {
            if (!bank.isLabelled(i)) {
                throw new IllegalArgumentException(
                        "bank row " + i + " has no label: every bank row votes for its class, so all need one");
            }
            sorted.add(bank.label(i));
        }
        this.classes = sorted.toArray(new String[0]);
        this.bankClass = new int[bank.size()];
        for (int i = 0; i < bank.size(); i++) {
            bankClass[i] = Arrays.binarySearch(classes, bank.label(i));
        }
        this.bank = bank.l2Normalized();
        this.k = Math.min(k, bank.size());
        this.temperature = temperature;
    }

    /** The class names, sorted; a class index is a position in this list. */
    public List<String> classes() {
        return List.of(classes);
    }

    /** Neighbours used per query: the k asked for, or the bank size when that is smaller. */
    public int k() {
        return k;
    }

    public double temperature() {
        return temperature;
    }

    /** The top-1 class index of every query (labels are not needed). */
    public int[] predict(Features queries) {
        int[][] ranked = rank(queries, 1, false);
        int[] out = new int[ranked.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = ranked[i][0];
        }
        return out;
    }

    /** Top-1 and top-5 accuracy over queries, every one of which must be labelled. */
    public KnnResult evaluate(Features queries) {
        for (int i = 0; i < queries.size(); i++) {
            if (!queries.isLabelled(i)) {
                throw new IllegalArgumentException(
                        "query " + i + " has no label: k-NN accuracy needs every query labelled");
            }
        }
        return score(queries, rank(queries, Math.min(TOP5, k), false), k);
    }

    /**
     * Leave-one-out accuracy over the bank itself: every bank row is a query whose neighbours are
     * the other rows (k is at most the bank size − 1). For a labelled probe set with no separate
     * queries, such as the job's online monitor.
     */
    public KnnResult evaluateLeaveOneOut() {
        if (bank.size() < 2) {
            throw new IllegalArgumentException("leave-one-out k-NN needs at least 2 bank rows, got " + bank.size());
        }
        int used = Math.min(k, bank.size() - 1);
        return score(bank, rank(bank, Math.min(TOP5, used), true), used);
    }

    private KnnResult score(Features queries, int[][] ranked, int neighbours) {
        int top1 = 0;
        int top5 = 0;
        for (int q = 0; q < ranked.length; q++) {
            int truth = Arrays.binarySearch(classes, queries.label(q));
            if (truth < 0) {
                continue; // a class the bank has never seen: never predicted
            }
            if (ranked[q][0] == truth) {
                top1++;
            }
            for (int c : ranked[q]) {
                if (c == truth) {
                    top5++;
                    break;
                }
            }
        }
        int n = queries.size();
        return new KnnResult(100.0 * top1 / n, 100.0 * top5 / n, n, neighbours, temperature);
    }

    /**
     * For every query, its first min(depth, classes) class indices in rank order; with
     * leaveOneOut the queries are the bank and query i never takes bank row i as a neighbour.
     */
    private int[][] rank(Features queries, int depth, boolean leaveOneOut) {
        if (queries.dim() != bank.dim()) {
            throw new IllegalArgumentException("queries have " + queries.dim() + " dimensions but the bank has "
                    + bank.dim() + ": bank and queries must be features of the same model");
        }
        if (queries.size() == 0) {
            throw new IllegalArgumentException("no queries to classify");
        }
        float[] q = queries.l2Normalized().values();
        int nq = queries.size();
        int nb = bank.size();
        int dim = bank.dim();
        int[][] ranked = new int[nq][];
        Voting voting = new Voting(Math.min(depth, classes.length), leaveOneOut ? Math.min(k, nb - 1) : k);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray bankT = manager.create(bank.values(), new Shape(nb, dim)).transpose();
            for (int start = 0; start < nq; start += CHUNK) {
                int rows = Math.min(CHUNK, nq - start);
                float[] sims;
                try (NDManager chunk = manager.newSubManager()) {
                    NDArray block = chunk.create(
                            Arrays.copyOfRange(q, start * dim, (start + rows) * dim), new Shape(rows, dim));
                    sims = block.matMul(bankT).toFloatArray();
                }
                for (int r = 0; r < rows; r++) {
                    ranked[start + r] = voting.rank(sims, r * nb, nb, leaveOneOut ? start + r : -1);
                }
            }
        }
        return ranked;
    }

    /** Neighbour selection and weighted voting for one query at a time; reuses its buffers. */
    private final class Voting {

        private final int depth;
        private final int k;
        private final int[] heap; // bank rows; heap[0] is the worst kept neighbour
        private final double[] weight = new double[classes.length];
        private final boolean[] voted = new boolean[classes.length];
        private final Integer[] order;

        Voting(int depth, int k) {
            this.depth = depth;
            this.k = k;
            this.heap = new int[k];
            this.order = new Integer[k];
        }

        /** The query's ranked classes; bank row {@code skip} (-1: none) is not a neighbour. */
        int[] rank(float[] sims, int offset, int nb, int skip) {
            // k best rows: higher similarity first, then lower row. Rows arrive in increasing order,
            // so a later row only replaces the worst kept one when it is strictly more similar.
            int size = 0;
            for (int b = 0; b < nb; b++) {
                if (b == skip) {
                    continue;
                }
                float s = sims[offset + b];
                if (size < k) {
                    heap[size] = b;
                    siftUp(sims, offset, size++);
                } else if (s > sims[offset + heap[0]]) {
                    heap[0] = b;
                    siftDown(sims, offset, size);
                }
            }
            // Sum in a fixed order (best neighbour first), so equal inputs give equal sums.
            for (int i = 0; i < k; i++) {
                order[i] = heap[i];
            }
            Arrays.sort(order, (a, b) -> a.equals(b) ? 0 : worse(sims, offset, a, b) ? 1 : -1);
            double best = sims[offset + order[0]];
            for (int i = 0; i < k; i++) {
                int row = order[i];
                weight[bankClass[row]] += Math.exp((sims[offset + row] - best) / temperature);
                voted[bankClass[row]] = true;
            }
            int[] top = new int[depth];
            boolean[] taken = new boolean[classes.length];
            for (int d = 0; d < depth; d++) {
                int pick = -1;
                for (int c = 0; c < classes.length; c++) {
                    if (!taken[c] && (pick < 0 || ranksBefore(c, pick))) {
                        pick = c; // strict: equal weights keep the lower class index
                    }
                }
                taken[pick] = true;
                top[d] = pick;
            }
            for (int i = 0; i < k; i++) {
                weight[bankClass[order[i]]] = 0;
                voted[bankClass[order[i]]] = false;
            }
            return top;
        }

        /**
         * Whether class a ranks strictly before class b: voted before unvoted (a weight can
         * underflow to 0 at a tiny temperature and still be a vote), then the larger summed weight.
         */
        private boolean ranksBefore(int a, int b) {
            if (voted[a] != voted[b]) {
                return voted[a];
            }
            return weight[a] > weight[b];
        }

        /** Whether bank row a is a worse neighbour than row b: less similar, or as similar and later. */
        private boolean worse(float[] sims, int offset, int a, int b) {
            float sa = sims[offset + a];
            float sb = sims[offset + b];
            return sa < sb || (sa == sb && a > b);
        }

        private void siftUp(float[] sims, int offset, int i) {
            while (i > 0) {
                int parent = (i - 1) / 2;
                if (!worse(sims, offset, heap[i], heap[parent])) {
                    return;
                }
                swap(i, parent);
                i = parent;
            }
        }

        private void siftDown(float[] sims, int offset, int size) {
            int i = 0;
            while (true) {
                int l = 2 * i + 1;
                int r = l + 1;
                int worst = i;
                if (l < size && worse(sims, offset, heap[l], heap[worst])) {
                    worst = l;
                }
                if (r < size && worse(sims, offset, heap[r], heap[worst])) {
                    worst = r;
                }
                if (worst == i) {
                    return;
                }
                swap(i, worst);
                i = worst;
            }
        }

        private void swap(int i, int j) {
            int t = heap[i];
            heap[i] = heap[j];
            heap[j] = t;
        }
    }
}
