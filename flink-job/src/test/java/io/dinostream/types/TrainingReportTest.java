package io.dinostream.types;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A report is built by name; what must be known is checked, what was not measured is NaN. */
final class TrainingReportTest {

    private static TrainingReport.Builder skippedStep() {
        return TrainingReport.builder().step(8).applied(false).loss(Double.NaN).batchSize(32).imagesSeen(256);
    }

    @Test
    void eachNumberLandsInTheFieldItWasNamedFor() {
        TrainingReport r = skippedStep().lr(1).weightDecay(2).teacherMomentum(3).teacherTemp(4).build();

        assertEquals(1, r.lr());
        assertEquals(2, r.weightDecay());
        assertEquals(3, r.teacherMomentum());
        assertEquals(4, r.teacherTemp());
    }

    @Test
    void numbersThatWereNotGivenAreNaN() {
        TrainingReport r = skippedStep().build();

        assertTrue(Double.isNaN(r.teacherEntropy()));
        assertTrue(Double.isNaN(r.teacherBatchEntropy()));
        assertTrue(Double.isNaN(r.seconds()));
        assertEquals(0, r.nonFiniteSteps());
    }

    @Test
    void aReportWithoutWhetherItWasAppliedIsRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TrainingReport.builder().step(8).batchSize(32).imagesSeen(256).build());

        assertTrue(e.getMessage().contains("applied"), e.getMessage());
    }

    @Test
    void aReportWithoutItsStepIsRefused() {
        assertThrows(IllegalStateException.class,
                () -> TrainingReport.builder().applied(true).batchSize(32).imagesSeen(256).build());
    }

    @Test
    void reportsAreEqualWhenEveryFieldIsAndANaNLossEqualsItself() {
        assertEquals(skippedStep().build(), skippedStep().build());
        assertEquals(skippedStep().build().hashCode(), skippedStep().build().hashCode());
        assertNotEquals(skippedStep().build(), skippedStep().lr(1e-3).build());
    }
}
