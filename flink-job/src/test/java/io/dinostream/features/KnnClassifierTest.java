package io.dinostream.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KnnClassifierTest {

    /** A unit vector in the plane at cosine similarity s with (1, 0), on the side of sign. */
    private static float[] at(double s, int sign) {
        return new float[] {(float) s, (float) (sign * Math.sqrt(1 - s * s)), 0f};
    }

    private static final float[] QUERY = {1f, 0f, 0f};

    private static Features features(List<float[]> rows, String... labels) {
        return new Features(rows.toArray(new float[0][]), labels);
    }

    private static Features query(String label) {
        return new Features(new float[][] {QUERY}, new String[] {label});
    }

    private static String predicted(KnnClassifier knn, Features queries) {
        return knn.classes().get(knn.predict(queries)[0]);
    }

    @Test
    void twoTightClustersAreSeparatedPerfectly() {
        Features bank = features(
                List.of(new float[] {1f, 0.01f}, new float[] {0.99f, -0.02f}, new float[] {1.01f, 0.03f},
                        new float[] {0.02f, 1f}, new float[] {-0.01f, 0.98f}, new float[] {0.03f, 1.02f}),
                "cat", "cat", "cat", "dog", "dog", "dog");
        Features queries = features(
                List.of(new float[] {1f, 0.02f}, new float[] {0.97f, -0.01f}, new float[] {0.01f, 1f},
                        new float[] {-0.02f, 0.99f}),
                "cat", "cat", "dog", "dog");

        KnnResult result = new KnnClassifier(bank, 3, 0.07).evaluate(queries);

        assertEquals(new KnnResult(100.0, 100.0, 4, 3, 0.07), result);
        assertEquals(List.of("cat", "dog"), new KnnClassifier(bank, 3, 0.07).classes());
    }

    /** One "b" neighbour at similarity 0.99, three "a" neighbours at 0.90; k = 4 takes all four. */
    private static Features oneCloseBThreeFartherA() {
        return features(List.of(at(0.99, 1), at(0.90, 1), at(0.90, -1), new float[] {0.9f, 0f, (float) Math.sqrt(0.19)}),
                "b", "a", "a", "a");
    }

    @Test
    void aSmallTemperatureLetsOneCloseNeighbourOutvoteSeveralFartherOnes() {
        // Majority among the 4 neighbours is a (3 to 1). With T = 0.01:
        // b: exp(0.99 / 0.01) = e^99; a: 3 exp(0.90 / 0.01) = 3 e^90; b / a = e^9 / 3 ≈ 2701.
        double b = Math.exp(0.99 / 0.01);
        double a = 3 * Math.exp(0.90 / 0.01);
        assertTrue(b > 1000 * a);

        assertEquals("b", predicted(new KnnClassifier(oneCloseBThreeFartherA(), 4, 0.01), query("b")));
    }

    @Test
    void aLargeTemperatureFallsBackToTheMajority() {
        // T = 1: b: e^0.99 ≈ 2.691; a: 3 e^0.90 ≈ 7.379, so a wins as in a plain majority vote.
        double b = Math.exp(0.99);
        double a = 3 * Math.exp(0.90);
        assertEquals(2.691, b, 1e-3);
        assertEquals(7.379, a, 1e-3);

        assertEquals("a", predicted(new KnnClassifier(oneCloseBThreeFartherA(), 4, 1.0), query("a")));
    }

    /** Two "a" rows at similarity 1, five "b" rows at 0.8. */
    private static Features twoCloseAFiveFartherB() {
        return features(
                List.of(at(1, 1), at(1, 1), at(0.8, 1), at(0.8, -1), at(0.8, 1), at(0.8, -1), at(0.8, 1)),
                "a", "a", "b", "b", "b", "b", "b");
    }

    @Test
    void kLargerThanAClassReachesIntoTheOtherClass() {
        // k = 2: both neighbours are a. k = 5: 2 a + 3 b; T = 1: a 2e ≈ 5.437 < b 3e^0.8 ≈ 6.677.
        assertEquals("a", predicted(new KnnClassifier(twoCloseAFiveFartherB(), 2, 1.0), query("a")));
        assertTrue(2 * Math.E < 3 * Math.exp(0.8));
        assertEquals("b", predicted(new KnnClassifier(twoCloseAFiveFartherB(), 5, 1.0), query("a")));
    }

    @Test
    void kLargerThanTheBankUsesTheWholeBank() {
        // All 7 rows: a 2e ≈ 5.44 < b 5e^0.8 ≈ 11.13.
        KnnClassifier knn = new KnnClassifier(twoCloseAFiveFartherB(), 100, 1.0);

        assertEquals(7, knn.k());
        assertEquals("b", predicted(knn, query("b")));
        assertEquals(new KnnResult(100.0, 100.0, 1, 7, 1.0), knn.evaluate(query("b")));
    }

    @Test
    void equalSummedWeightsRankTheLowerClassIndexFirst() {
        // (0.6, 0.8) and (0.6, -0.8) are equally similar to the query: an exact tie between classes.
        // "dog" comes first in the bank, but "cat" (index 0) wins.
        Features bank = features(List.of(at(0.6, 1), at(0.6, -1)), "dog", "cat");
        KnnClassifier knn = new KnnClassifier(bank, 2, 0.07);

        assertEquals(List.of("cat", "dog"), knn.classes());
        assertArrayEquals(new int[] {0}, knn.predict(query("dog")));
        assertEquals(new KnnResult(0.0, 100.0, 1, 2, 0.07), knn.evaluate(query("dog")));
    }

    @Test
    void equallySimilarNeighboursAreTakenInBankOrder() {
        // k = 1 and two rows at the same similarity: the lower bank row (dog) is the neighbour.
        Features bank = features(List.of(at(0.6, 1), at(0.6, -1)), "dog", "cat");

        assertEquals("dog", predicted(new KnnClassifier(bank, 1, 0.07), query("dog")));
    }

    @Test
    void topFiveCountsATrueClassRankedSecondToFifth() {
        // One row per class, less similar with each class: c0 ranks 1st, …, c6 ranks 7th.
        Features bank = features(
                List.of(at(0.9, 1), at(0.8, 1), at(0.7, 1), at(0.6, 1), at(0.5, 1), at(0.4, 1), at(0.3, 1)),
                "c0", "c1", "c2", "c3", "c4", "c5", "c6");
        Features queries = features(List.of(QUERY, QUERY, QUERY, QUERY, QUERY), "c0", "c1", "c2", "c4", "c5");

        KnnResult result = new KnnClassifier(bank, 7, 0.07).evaluate(queries);

        assertEquals(20.0, result.top1(), 1e-9); // c0
        assertEquals(80.0, result.top5(), 1e-9); // c0, c1 (2nd), c2 (3rd), c4 (5th); not c5 (6th)
    }

    @Test
    void topFiveOverTwoClassesIsPerfectWhenTheTrueClassIsAmongThem() {
        // k = 3 takes the three "a" rows only; "b" has no vote and ranks 2nd.
        Features bank = features(List.of(at(1, 1), at(0.95, 1), at(0.95, -1), at(0.1, 1), at(0.1, -1), at(0, 1)),
                "a", "a", "a", "b", "b", "b");

        KnnResult result = new KnnClassifier(bank, 3, 0.07).evaluate(features(List.of(QUERY, QUERY), "a", "b"));

        assertEquals(50.0, result.top1(), 1e-9);
        assertEquals(100.0, result.top5(), 1e-9);
    }

    @Test
    void classesWithoutVotesFollowByIndexUpToMinFiveK() {
        // Only "d" is near; k = 2 ranks d, then the unvoted a. Like eval_knn.py, top-5 looks at
        // min(5, k) = 2 classes, so b and c are misses.
        Features bank = features(List.of(at(1, 1), at(0.99, 1), at(0, 1), at(0, -1), at(-1, 1)),
                "d", "d", "a", "b", "c");

        KnnResult result = new KnnClassifier(bank, 2, 0.07)
                .evaluate(features(List.of(QUERY, QUERY, QUERY, QUERY), "d", "a", "b", "c"));

        assertEquals(25.0, result.top1(), 1e-9);
        assertEquals(50.0, result.top5(), 1e-9);
    }

    @Test
    void scalingARowBy10DoesNotChangePredictions() {
        // cos(q, a) = 0.9 > cos(q, b) = 0.6; b scaled by 10 has the larger raw dot product (6 > 0.9).
        float[] b = at(0.6, 1);
        float[] b10 = {b[0] * 10, b[1] * 10, b[2] * 10};
        Features bank = features(List.of(at(0.9, -1), b), "a", "b");
        Features scaled = features(List.of(at(0.9, -1), b10), "a", "b");
        Features queries = features(List.of(QUERY, new float[] {10f, 0f, 0f}, b, b10), "a", "a", "b", "b");

        int[] plain = new KnnClassifier(bank, 1, 0.07).predict(queries);

        assertArrayEquals(new int[] {0, 0, 1, 1}, plain);
        assertArrayEquals(plain, new KnnClassifier(scaled, 1, 0.07).predict(queries));
    }

    @Test
    void aQueryClassTheBankHasNeverSeenIsAMiss() {
        Features bank = features(List.of(at(1, 1), at(0, 1)), "a", "b");

        KnnResult result = new KnnClassifier(bank, 2, 0.07).evaluate(features(List.of(QUERY, QUERY), "a", "zebra"));

        assertEquals(new KnnResult(50.0, 50.0, 2, 2, 0.07), result);
    }

    @Test
    void queriesOfAnotherDimensionAreRefused() {
        KnnClassifier knn = new KnnClassifier(features(List.of(at(1, 1)), "a"));
        Features twoDims = new Features(new float[][] {{1f, 0f}}, new String[] {"a"});

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> knn.evaluate(twoDims));
        assertEquals("queries have 2 dimensions but the bank has 3: bank and queries must be features of the same model",
                e.getMessage());
    }

    @Test
    void unlabelledQueriesAreRefused() {
        KnnClassifier knn = new KnnClassifier(features(List.of(at(1, 1)), "a"));
        Features queries = features(List.of(QUERY, QUERY), "a", "");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> knn.evaluate(queries));
        assertEquals("query 1 has no label: k-NN accuracy needs every query labelled", e.getMessage());
    }

    @Test
    void unlabelledBankRowsAndBadParametersAreRefused() {
        Features unlabelled = features(List.of(at(1, 1), at(0, 1)), "a", null);
        Features bank = features(List.of(at(1, 1)), "a");

        assertTrue(assertThrows(IllegalArgumentException.class, () -> new KnnClassifier(unlabelled))
                .getMessage().startsWith("bank row 1 has no label"));
        assertThrows(IllegalArgumentException.class, () -> new KnnClassifier(bank, 0, 0.07));
        assertThrows(IllegalArgumentException.class, () -> new KnnClassifier(bank, 20, 0));
        assertThrows(IllegalArgumentException.class, () -> new KnnClassifier(bank, 20, Double.NaN));
    }

    @Test
    void manyQueriesSpanSeveralChunks() {
        // More queries than one similarity product holds: every one must still get its own answer.
        int n = KnnClassifier.CHUNK * 2 + 7;
        float[][] rows = new float[n][];
        String[] labels = new String[n];
        for (int i = 0; i < n; i++) {
            rows[i] = i % 2 == 0 ? at(0.99, 1) : at(-0.99, 1);
            labels[i] = i % 2 == 0 ? "east" : "west";
        }
        Features bank = features(List.of(at(1, 1), at(-1, 1)), "east", "west");

        KnnResult result = new KnnClassifier(bank).evaluate(new Features(rows, labels));

        assertEquals(new KnnResult(100.0, 100.0, n, 2, 0.07), result);
    }

    @Test
    void agreesWithAPlainTranscriptionOfEvalKnnOnRandomFeatures() {
        // eval_knn.py knn_classifier in double precision, one query at a time: sort the whole bank
        // by similarity, take k, sum exp(s / T) per class, sort the classes. The data are checked
        // to have no near ties, so float32 similarities cannot change the answer.
        Random random = new Random(7);
        int dim = 16;
        int k = 20;
        double t = 0.07;
        Features bank = gaussian(random, 400, dim, 5);
        Features queries = gaussian(random, 300, dim, 5);
        KnnClassifier knn = new KnnClassifier(bank, k, t);

        int[] predicted = knn.predict(queries);

        Features nb = bank.l2Normalized();
        Features nq = queries.l2Normalized();
        int top1 = 0;
        int top5 = 0;
        for (int q = 0; q < nq.size(); q++) {
            double[] sims = new double[nb.size()];
            Integer[] rows = new Integer[nb.size()];
            for (int b = 0; b < nb.size(); b++) {
                for (int d = 0; d < dim; d++) {
                    sims[b] += (double) nq.get(q, d) * nb.get(b, d);
                }
                rows[b] = b;
            }
            Arrays.sort(rows, Comparator.comparingDouble(b -> -sims[b]));
            assertTrue(sims[rows[k - 1]] - sims[rows[k]] > 1e-5, "near tie at the k-th neighbour of query " + q);
            double[] votes = new double[5];
            for (int i = 0; i < k; i++) {
                votes[Integer.parseInt(nb.label(rows[i]))] += Math.exp(sims[rows[i]] / t);
            }
            Integer[] classes = {0, 1, 2, 3, 4};
            Arrays.sort(classes, Comparator.comparingDouble(c -> -votes[c]));
            assertTrue(votes[classes[0]] - votes[classes[1]] > 1e-5 * votes[classes[0]], "near tie of query " + q);
            assertEquals(classes[0], predicted[q], "query " + q);
            int truth = Integer.parseInt(nq.label(q));
            top1 += classes[0] == truth ? 1 : 0;
            top5 += Arrays.asList(classes).subList(0, 5).contains(truth) ? 1 : 0;
        }
        KnnResult result = knn.evaluate(queries);
        assertEquals(100.0 * top1 / nq.size(), result.top1(), 1e-9);
        assertEquals(100.0 * top5 / nq.size(), result.top5(), 1e-9);
        assertTrue(result.top1() > 30 && result.top1() < 100, "a non-trivial case: " + result);
    }

    /** n rows around one of `classes` random centres each, labelled "0", "1", …. */
    private static Features gaussian(Random random, int n, int dim, int classes) {
        Random centres = new Random(1);
        float[][] centre = new float[classes][dim];
        for (float[] c : centre) {
            for (int d = 0; d < dim; d++) {
                c[d] = (float) centres.nextGaussian();
            }
        }
        float[][] rows = new float[n][dim];
        String[] labels = new String[n];
        for (int i = 0; i < n; i++) {
            int c = random.nextInt(classes);
            for (int d = 0; d < dim; d++) {
                rows[i][d] = centre[c][d] + (float) (1.5 * random.nextGaussian());
            }
            labels[i] = Integer.toString(c);
        }
        return new Features(rows, labels);
    }

    /** a1 (1, 0), a2 (0.99, 0.14), b1 (0, 1), b2 (0.8, 0.6): b2's nearest other row is a2. */
    private static Features twoAsTwoBs() {
        return features(List.of(new float[] {1f, 0f}, new float[] {0.99f, 0.14f}, new float[] {0f, 1f},
                new float[] {0.8f, 0.6f}), "a", "a", "b", "b");
    }

    @Test
    void leaveOneOutNeverLetsARowVoteForItself() {
        // k = 1. Nearest other row: a1 → a2 (0.99), a2 → a1 (0.99 vs b2 0.876), b1 → b2 (0.6 vs a2 0.14):
        // right; b2 → a2 (0.876 vs a1 0.8, b1 0.6): wrong. 3 of 4.
        KnnClassifier knn = new KnnClassifier(twoAsTwoBs(), 1, 0.07);

        assertEquals(new KnnResult(75.0, 75.0, 4, 1, 0.07), knn.evaluateLeaveOneOut());
        // Queried against itself, every row finds itself at similarity 1.
        assertEquals(100.0, knn.evaluate(twoAsTwoBs()).top1());
    }

    @Test
    void leaveOneOutUsesAtMostTheOtherRowsAsNeighbours() {
        // k = 20 over 4 rows: 3 neighbours each. b2: a2 0.876 + a1 0.8 outvote b1 0.6 at T = 0.07, so
        // still 3 of 4 right; top-5 (here top-2 of 2 classes) is always right.
        KnnResult r = new KnnClassifier(twoAsTwoBs(), 20, 0.07).evaluateLeaveOneOut();

        assertEquals(new KnnResult(75.0, 100.0, 4, 3, 0.07), r);
        assertThrows(IllegalArgumentException.class,
                () -> new KnnClassifier(features(List.of(new float[] {1f}), "a"), 20, 0.07).evaluateLeaveOneOut());
    }
}
