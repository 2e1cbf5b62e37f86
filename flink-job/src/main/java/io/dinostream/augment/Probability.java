package io.dinostream.augment;

/** Argument check shared by the random ops. */
final class Probability {

    private Probability() {}

    /** p itself, if it is a probability; otherwise an exception naming what it is. */
    static double check(double p, String what) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(what + " must be in [0, 1], got " + p);
        }
        return p;
    }
}
