package io.dinostream.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dinostream.augment.MultiCropPolicy;
import io.dinostream.config.OptionSet;
import io.dinostream.model.ModelSpec;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The train.* settings: checked when built, and composed with the model and the crops. */
final class TrainerSettingsTest {

    private static final OptionSet OPTIONS = OptionSet.of("", TrainerSettings.OPTIONS);

    private static TrainerSettings parse(String... nameValues) {
        Map<String, String> settings = new HashMap<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            settings.put(nameValues[i], nameValues[i + 1]);
        }
        return TrainerSettings.from(OPTIONS.parse(settings));
    }

    private static TrainerSettings withBatchSize(int batchSize) {
        TrainerSettings d = parse();
        return new TrainerSettings(batchSize, d.schedules(), d.studentTemp(), d.centerMomentum(), d.clipGrad(),
                d.koleoWeight(), d.optimizer(), d.maxSteps(), d.seed(), d.watchdog(), d.device(), d.precision(),
                d.slotSharingGroup(), d.slotResources());
    }

    @Test
    void aZeroBatchIsRefusedWhenBuilt() {
        assertEquals("--train.batch-size must be > 0, got 0",
                assertThrows(IllegalArgumentException.class, () -> withBatchSize(0)).getMessage());
    }

    @Test
    void theTrainerConfigTakesItsViewsFromTheCropPolicy() {
        ModelSpec model = new ModelSpec("resnet10", 4, true, 32, 32, 16, 3, true, true);
        MultiCropPolicy crops = MultiCropPolicy.builder().globalSize(16).localSize(8).globalCount(2).localCount(6)
                .build();

        TrainerConfig config = parse("train.seed", "7").trainerConfig(model, crops);

        assertEquals(model, config.model());
        assertEquals(2, config.globalViews());
        assertEquals(6, config.localViews());
        assertEquals(7, config.seed());
    }

    @Test
    void thePolicyStepsEveryBatchAndSnapshotsAtThePublishCadence() {
        TrainerSettings trainer = parse("train.batch-size", "8", "train.max-steps", "40");

        assertEquals(new StreamingTrainer.Policy(8, 5, 0, 40), trainer.policy(5, 0));
    }

    @Test
    void aNegativeWatchdogSettingNamesBothOptions() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> parse("train.watchdog-factor", "-1"));

        assertEquals("--train.watchdog-factor and --train.watchdog-floor-seconds must be >= 0, got -1 and 300",
                e.getMessage());
    }

    @Test
    void lossSettingsOutsideTheirRangeAreRefusedNamingTheOption() {
        assertEquals("--train.student-temp must be > 0, got 0",
                assertThrows(IllegalArgumentException.class, () -> parse("train.student-temp", "0")).getMessage());
        assertEquals("--train.center-momentum must be in [0, 1), got 1",
                assertThrows(IllegalArgumentException.class, () -> parse("train.center-momentum", "1")).getMessage());
        assertEquals("--train.koleo-weight must be >= 0, got -1",
                assertThrows(IllegalArgumentException.class, () -> parse("train.koleo-weight", "-1")).getMessage());
    }
}
