package io.dinostream.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The short chaos run CI makes: the job in a JVM of its own beside an embedded broker and S3
 * server, one fault of each kind (kill -9 and restart, the store down, the broker down, poison,
 * a CPU hog), then a drain and the count. A tiny model keeps it to a few minutes.
 */
class ChaosRunTest {

    @Test
    void theJobSurvivesEachFaultAndLosesNoEvent() throws Exception {
        // Under target/, not a temporary folder, so the job's logs are there to read when it fails.
        Path dir = Path.of("target", "chaos-run").toAbsolutePath();
        if (Files.exists(dir)) {
            try (var old = Files.walk(dir)) {
                old.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        List<ChaosRun.Fault> faults = List.of(ChaosRun.Fault.values());
        ChaosRun.Options options = new ChaosRun.Options(2.75, dir, 25, 6, 30, 24, 120, faults, Map.of(
                "model.width", "8", "model.out-dim", "64", "model.hidden-dim", "64", "model.bottleneck-dim", "32",
                "crops.global-size", "16", "crops.local-size", "8", "crops.local-count", "2", "train.batch-size", "16"));
        ChaosRun.Result r = new ChaosRun(options, System.out).run();
        String report = ChaosCommand.report(options, r);
        System.out.println(report);

        List<ChaosRun.Fault> injected = r.faults().stream().map(ChaosRun.Injected::fault).toList();
        assertTrue(injected.size() >= faults.size() && injected.subList(0, faults.size()).equals(faults),
                "each kind of fault, in order\n" + report);
        assertTrue(r.passed(), report);
        assertEquals(0, r.lost(), report);
        assertEquals(r.poison(), r.deadLetters(), "every poison event is dead-lettered, once\n" + report);
        assertTrue(r.poison() >= 24 && r.trained() > 0 && r.heldOut() > 0, report);
        assertEquals(r.produced(), r.trained() + r.skipped() + r.heldOut() + r.deadLetters(), report);
        r.faults().stream().filter(f -> f.fault() == ChaosRun.Fault.KILL).forEach(kill -> assertTrue(
                kill.restoredStep() > 0, "each restarted trainer resumed from a saved step\n" + report));
        assertTrue(r.checkpointsVerified() >= 5, report);
    }
}
