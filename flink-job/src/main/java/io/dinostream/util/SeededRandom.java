package io.dinostream.util;

/**
 * A small, seedable random generator whose whole state is one {@code long}, so it can be saved in
 * a checkpoint and restored bit for bit (java.util.Random and SplittableRandom cannot be).
 *
 * <p>The generator is SplitMix64 (Steele, Lea, Flood: "Fast splittable pseudorandom number
 * generators", OOPSLA 2014), the same mixer that seeds java.util.SplittableRandom. Not for
 * cryptography; plenty for data augmentation and initialisation.
 */
public final class SeededRandom {

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
    private static final double DOUBLE_UNIT = 0x1.0p-53;

    private long state;

    public SeededRandom(long seed) {
        this.state = seed;
    }

    /** A generator for one item (an image, a layer) derived from a seed and the item's key. */
    public static SeededRandom forKey(long seed, String key) {
        long h = mix64(seed ^ 0x632BE59BD9B4E019L);
        for (int i = 0; i < key.length(); i++) {
            h = mix64(h ^ key.charAt(i));
        }
        return new SeededRandom(h);
    }

    /** The whole state: {@code new SeededRandom(r.state())} continues exactly where r is. */
    public long state() {
        return state;
    }

    /** Continues from a state saved with {@link #state()}. */
    public void setState(long state) {
        this.state = state;
    }

    public long nextLong() {
        state += GOLDEN_GAMMA;
        return mix64(state);
    }

    /** Uniform in [0, 1). */
    public double nextDouble() {
        return (nextLong() >>> 11) * DOUBLE_UNIT;
    }

    /** Uniform in [low, high). */
    public double uniform(double low, double high) {
        return low + (high - low) * nextDouble();
    }

    /** Uniform integer in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        // Lemire's multiply-shift with rejection: unbiased.
        long m = (nextLong() >>> 32) * bound;
        long low = m & 0xFFFFFFFFL;
        if (low < bound) {
            long threshold = (0x1_0000_0000L - bound) % bound;
            while (low < threshold) {
                m = (nextLong() >>> 32) * bound;
                low = m & 0xFFFFFFFFL;
            }
        }
        return (int) (m >>> 32);
    }

    /** Uniform integer in [low, high), as Python's random.randint(low, high - 1). */
    public int nextInt(int low, int high) {
        return low + nextInt(high - low);
    }

    /** True with probability p. */
    public boolean bernoulli(double p) {
        return nextDouble() < p;
    }

    /** Standard normal by Box-Muller; no cached second value, so the state stays one long. */
    public double nextGaussian() {
        double u1 = 1.0 - nextDouble(); // (0, 1]
        double u2 = nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** Normal(0, std) truncated to [low, high] by rejection, as torch.nn.init.trunc_normal_. */
    public double truncatedNormal(double std, double low, double high) {
        while (true) {
            double x = std * nextGaussian();
            if (x >= low && x <= high) {
                return x;
            }
        }
    }

    /** A random permutation of 0..n-1 (Fisher-Yates). */
    public int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
