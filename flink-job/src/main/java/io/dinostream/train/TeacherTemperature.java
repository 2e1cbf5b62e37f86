package io.dinostream.train;

/**
 * The teacher temperature τt (main_dino.DINOLoss.teacher_temp_schedule): linear from
 * {@code warmupTemp} to {@code temp} over {@code warmupUnits} units (numpy linspace, end point
 * included), then constant. The official code counts units in epochs; a stream counts steps, so a
 * unit is {@code stepsPerUnit} steps (1 in continual training). A low τt early keeps the teacher
 * sharp while the prototypes form (paper, sec. 5.3).
 */
public record TeacherTemperature(
        double warmupTemp, double temp, long warmupUnits, long stepsPerUnit) implements java.io.Serializable {

    public TeacherTemperature {
        if (!(warmupTemp > 0) || !(temp > 0)) {
            throw new IllegalArgumentException(
                    "teacher temperatures must be > 0, got " + warmupTemp + " and " + temp);
        }
        if (warmupUnits < 0 || stepsPerUnit < 1) {
            throw new IllegalArgumentException(
                    "teacher temperature warm-up must be >= 0 and its unit >= 1 step");
        }
    }

    /** Linear warm-up over {@code warmupSteps} training steps. */
    public static TeacherTemperature perStep(double warmupTemp, double temp, long warmupSteps) {
        return new TeacherTemperature(warmupTemp, temp, warmupSteps, 1);
    }

    public double valueAt(long step) {
        long unit = step / stepsPerUnit;
        if (unit >= warmupUnits) {
            return temp;
        }
        if (warmupUnits == 1) {
            return warmupTemp;
        }
        return unit == warmupUnits - 1
                ? temp
                : warmupTemp + unit * ((temp - warmupTemp) / (warmupUnits - 1));
    }
}
