package io.dinostream;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleName;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layout is the architecture (README, "How it is built"): packages stand on floors, and a
 * package imports only packages on lower floors or its own. Values are the ground floor every
 * stage shares; the production job stands below the demo, the offline tools and the commands.
 */
public final class ArchitectureTest {

    /**
     * Lowest floor first; {@code ""} is the root package, io.dinostream itself (DinoStreamJob).
     * The cluster jar holds the job's floor and those below it (ClusterJarIT).
     */
    public static final List<List<String>> FLOORS = List.of(
            List.of("util", "proto"),
            List.of("types", "config"),
            List.of("augment", "model", "ingest", "replay"),
            List.of("train", "publish", "datasets"),
            List.of("features"),
            List.of("monitor"),
            List.of(""),
            List.of("local", "eval"),
            List.of("bench", "chaos"),
            List.of("cli"));

    private static JavaClasses classes;

    @BeforeAll
    static void importProductionClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.dinostream");
    }

    @Test
    void everyPackageStandsOnAFloor() {
        List<String> unplaced = new ArrayList<>();
        classes.forEach(c -> {
            String pkg = c.getPackageName();
            String name = pkg.equals("io.dinostream") ? "" : pkg.substring("io.dinostream.".length()).split("\\.")[0];
            if (FLOORS.stream().noneMatch(floor -> floor.contains(name)) && !unplaced.contains(pkg)) {
                unplaced.add(pkg);
            }
        });
        assertTrue(unplaced.isEmpty(), "packages on no floor (add them to FLOORS and to the README): " + unplaced);
    }

    @Test
    void noPackageImportsAHigherFloor() {
        List<String> violations = new ArrayList<>();
        for (int floor = 0; floor < FLOORS.size(); floor++) {
            String[] higher = FLOORS.subList(floor + 1, FLOORS.size()).stream().flatMap(List::stream)
                    .map(ArchitectureTest::packageOf).toArray(String[]::new);
            if (higher.length == 0) {
                continue;
            }
            String[] here = FLOORS.get(floor).stream().map(ArchitectureTest::packageOf).toArray(String[]::new);
            EvaluationResult result = noClasses().that().resideInAnyPackage(here)
                    .should().dependOnClassesThat().resideInAnyPackage(higher)
                    .because("a package imports only lower floors")
                    .evaluate(classes);
            violations.addAll(result.getFailureReport().getDetails());
        }
        assertTrue(violations.isEmpty(), "imports up a floor:\n" + String.join("\n", violations));
    }

    @Test
    void packagesOnOneFloorFormNoLoop() {
        EvaluationResult result = slices().matching("io.dinostream.(*)..").should().beFreeOfCycles().evaluate(classes);
        assertTrue(!result.hasViolation(), "package loops:\n" + String.join("\n", result.getFailureReport().getDetails()));
    }

    @Test
    void theRuleSeesAnUpwardImport() {
        // The rules above are only worth something if they can fail: the demo uses the job graph,
        // so asking whether the job's floor reaches the demo's must find those imports the other way.
        EvaluationResult demoUsesTheJob = noClasses().that().resideInAnyPackage(packageOf("local"))
                .should().dependOnClassesThat().resideInAnyPackage(packageOf(""))
                .evaluate(classes);
        assertTrue(demoUsesTheJob.hasViolation(), "local/ should use DinoStreamJob; the rule found nothing");
    }

    /**
     * The forward passes and losses never hand a Java number to libtorch through DJL's Number
     * overloads: DJL 0.36 wraps it in a tensor over a Java buffer that autograd keeps for backward
     * and a garbage collection frees ({@link io.dinostream.model.OwnedTensors}, which they use instead).
     */
    @Test
    void graphsTakeNoNumberThroughDjlsNumberOverloads() {
        EvaluationResult result = numberOverloadsCalled()
                .evaluate(classes.that(resideInAPackage("io.dinostream.model..")
                        .or(simpleName("DinoLoss")).or(simpleName("KoLeoLoss"))));
        assertTrue(!result.hasViolation(), "Number overloads in graph code (use OwnedTensors):\n"
                + String.join("\n", result.getFailureReport().getDetails()));
        // the rule can fail: the optimiser's updates, outside autograd, do use them
        assertTrue(numberOverloadsCalled().evaluate(classes.that(simpleName("AdamW"))).hasViolation(),
                "AdamW calls NDArray.mul(Number); the rule found nothing");
    }

    private static ArchRule numberOverloadsCalled() {
        return noClasses().should().callMethod(NDArray.class, "mul", Number.class)
                .orShould().callMethod(NDArray.class, "div", Number.class)
                .orShould().callMethod(NDArray.class, "pow", Number.class)
                .orShould().callMethod(NDArray.class, "maximum", Number.class)
                .orShould().callMethod(NDArray.class, "minimum", Number.class);
    }

    private static String packageOf(String name) {
        return name.isEmpty() ? "io.dinostream" : "io.dinostream." + name + "..";
    }
}
