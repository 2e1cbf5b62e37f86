package io.dinostream.features;

/**
 * The outcome of {@link KnnClassifier#evaluate}: top-1 and top-5 accuracy in percent over
 * {@code queries} labelled queries, with the number of neighbours actually used ({@code k}, at most
 * the bank size) and the temperature.
 */
public record KnnResult(double top1, double top5, int queries, int k, double temperature) {}
