package io.dinostream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.augment.MultiCropPolicy;
import io.dinostream.ingest.FieldLimits;
import io.dinostream.ingest.KafkaSettings.StartingOffsets;
import io.dinostream.model.ModelSpec;
import io.dinostream.train.Optimizer;
import io.dinostream.train.TrainerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the job's options are parsed, validated, shown and turned into each stage's settings. */
final class JobConfigTest {

    private static JobConfig parse(String... args) {
        return JobConfig.fromArgs(List.of(args));
    }

    private static IllegalArgumentException parseFails(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> parse(args));
    }

    private static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "expected '" + part + "' in: " + message);
        }
    }

    /** Option name → default as help() prints them ("(none)" read back as ""). */
    private static Map<String, String> helpDefaults() {
        Map<String, String> defaults = new LinkedHashMap<>();
        String[] lines = JobConfig.help().split("\\R");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (!line.startsWith("  --") || line.startsWith("  --kafka.<property>")) {
                continue;
            }
            String name = line.substring(4).split("\\s+", 2)[0];
            String next = lines[i + 1].trim();
            assertTrue(next.startsWith("default: "), "no default under --" + name + ": " + next);
            String value = next.substring("default: ".length());
            defaults.put(name, value.equals("(none)") ? "" : value);
        }
        return defaults;
    }

    // --- help -------------------------------------------------------------------------------

    @Test
    void helpListsEveryOptionWithItsDefault() {
        Map<String, String> fromHelp = helpDefaults();
        Map<String, String> defaults = parse().describe();

        assertEquals(defaults, fromHelp);
        assertEquals("", fromHelp.get("kafka.bootstrap-servers"));
        assertEquals("32", fromHelp.get("train.batch-size"));
        assertEquals("earliest", fromHelp.get("kafka.starting-offsets"));
        assertEquals("file:///tmp/dino-stream/checkpoints", fromHelp.get("publish.uri"));
    }

    @Test
    void helpShowsAnEmptyDefaultAsNone() {
        String help = JobConfig.help();
        int option = help.indexOf("--kafka.bootstrap-servers");
        int defaultLine = help.indexOf("default:", option);

        assertTrue(option >= 0, help);
        assertTrue(help.startsWith("default: (none)", defaultLine), help.substring(option, defaultLine + 20));
    }

    @Test
    void helpMentionsKafkaPassThroughProperties() {
        assertMentions(JobConfig.help(), "--kafka.<property>", "--kafka.security.protocol SASL_SSL");
    }

    @Test
    void helpFlagReturnsNull() {
        assertNull(parse("--help"));
        assertNull(parse("-h"));
        assertNull(parse("--train.batch-size", "8", "--help"));
    }

    // --- flags and the config file ----------------------------------------------------------

    @Test
    void noArgumentsGiveTheCpuDefaults() {
        JobConfig config = parse();

        assertEquals("cpu", config.recipe());
        assertEquals(32, config.trainer().batchSize());
        assertEquals(List.of("images"), config.kafka().topics());
        assertEquals(Map.of(), config.kafka().clientProperties());
    }

    @Test
    void flagTakesItsValueFromTheNextArgument() {
        assertEquals(8, parse("--train.batch-size", "8").trainer().batchSize());
    }

    @Test
    void flagTakesItsValueAfterAnEqualsSign() {
        assertEquals(8, parse("--train.batch-size=8").trainer().batchSize());
    }

    @Test
    void valueAfterEqualsSignMayItselfContainEqualsSigns() {
        JobConfig config = parse("--kafka.sasl.jaas.config=Module required username=\"u\" password=\"p\";");

        assertEquals("Module required username=\"u\" password=\"p\";",
                config.kafka().clientProperties().get("sasl.jaas.config"));
    }

    @Test
    void negativeNumberIsAValueNotAFlag() {
        assertEquals(-5, parse("--train.seed", "-5").trainer().seed());
    }

    @Test
    void flagWithoutValueFails() {
        assertMentions(parseFails("--train.batch-size").getMessage(), "--train.batch-size needs a value");
        assertMentions(parseFails("--train.batch-size", "--train.seed", "1").getMessage(),
                "--train.batch-size needs a value");
    }

    @Test
    void bareArgumentFails() {
        assertMentions(parseFails("batch-size").getMessage(), "unexpected argument 'batch-size'", "--name value");
    }

    @Test
    void valuesAreTrimmed() {
        assertEquals(8, parse("--train.batch-size", " 8 ").trainer().batchSize());
    }

    @Test
    void configFileSetsOptions(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("job.properties");
        Files.writeString(file, "train.batch-size=16\nmodel.width=8\nkafka.topics=a,b\n");

        JobConfig config = parse("--config", file.toString());

        assertEquals(16, config.trainer().batchSize());
        assertEquals(8, config.model().spec().width());
        assertEquals(List.of("a", "b"), config.kafka().topics());
    }

    @Test
    void flagsWinOverTheConfigFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("job.properties");
        Files.writeString(file, "train.batch-size=16\nmodel.width=8\n");

        JobConfig before = parse("--train.batch-size", "4", "--config", file.toString());
        JobConfig after = parse("--config", file.toString(), "--train.batch-size", "4");

        assertEquals(4, before.trainer().batchSize());
        assertEquals(4, after.trainer().batchSize());
        assertEquals(8, after.model().spec().width());
    }

    @Test
    void configFileMayChooseTheRecipe(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("job.properties");
        Files.writeString(file, "recipe=paper\n");

        assertEquals("resnet50", parse("--config", file.toString()).model().spec().backbone());
    }

    @Test
    void unknownOptionInTheConfigFileFails(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("job.properties");
        Files.writeString(file, "train.batchsize=16\n");

        assertMentions(parseFails("--config", file.toString()).getMessage(),
                "unknown option --train.batchsize", "did you mean --train.batch-size?");
    }

    @Test
    void missingConfigFileFailsNamingIt(@TempDir Path dir) {
        Path missing = dir.resolve("nope.properties");

        assertMentions(parseFails("--config", missing.toString()).getMessage(),
                "cannot read --config", missing.toString());
    }

    // --- unknown options ----------------------------------------------------------------------

    @Test
    void unknownOptionNearAKnownOneSuggestsIt() {
        IllegalArgumentException e = parseFails("--train.batchsize", "8");

        assertMentions(e.getMessage(),
                "unknown option --train.batchsize", "did you mean --train.batch-size?", "--help");
    }

    @Test
    void unknownOptionFarFromAnyKnownOneSuggestsNothing() {
        IllegalArgumentException e = parseFails("--colour-scheme", "dark");

        assertMentions(e.getMessage(), "unknown option --colour-scheme", "--help");
        assertFalse(e.getMessage().contains("did you mean"), e.getMessage());
    }

    @Test
    void kafkaNameThatIsNoClientPropertyFailsInsteadOfPassingThrough() {
        IllegalArgumentException e = parseFails("--kafka.topic", "images");

        assertMentions(e.getMessage(), "unknown option --kafka.topic", "Kafka consumer or producer property",
                "did you mean --kafka.topics?");
    }

    @Test
    void misspeltKafkaClientPropertySuggestsTheClientProperty() {
        IllegalArgumentException e = parseFails("--kafka.security.protocl", "SASL_SSL");

        assertMentions(e.getMessage(), "did you mean --kafka.security.protocol?");
    }

    @Test
    void consumerProducerAndKafkaSourcePropertiesPassThrough() {
        JobConfig config = parse("--kafka.max.poll.records", "50", "--kafka.compression.type", "zstd",
                "--kafka.partition.discovery.interval.ms", "60000");

        assertEquals(Map.of("max.poll.records", "50", "compression.type", "zstd",
                "partition.discovery.interval.ms", "60000"), config.kafka().clientProperties());
    }

    // --- bad values fail at parse, naming the option and the fix -----------------------------

    @Test
    void nonNumericBatchSizeFails() {
        assertMentions(parseFails("--train.batch-size", "lots").getMessage(),
                "--train.batch-size", "must be a whole number", "'lots'");
    }

    @Test
    void zeroBatchSizeFails() {
        assertMentions(parseFails("--train.batch-size", "0").getMessage(), "--train.batch-size must be > 0, got 0");
    }

    @Test
    void zeroIdLimitFails() {
        assertMentions(parseFails("--ingest.max-id-bytes", "0").getMessage(), "--ingest.max-id-bytes must be > 0, got 0");
    }

    @Test
    void negativeAttributeCountLimitFails() {
        assertMentions(parseFails("--ingest.max-attributes", "-1").getMessage(),
                "--ingest.max-attributes must be >= 0, got -1");
    }

    @Test
    void fieldLimitOptionsDefaultToTheFieldLimitsDefaults() {
        assertEquals(FieldLimits.defaults(), parse().ingest().fieldLimits());
        assertEquals(70_000, parse("--ingest.max-id-bytes", "70000").ingest().fieldLimits().maxIdBytes());
    }

    @Test
    void negativeMaxStepsFails() {
        assertMentions(parseFails("--train.max-steps", "-1").getMessage(), "--train.max-steps must be >= 0, got -1");
    }

    @Test
    void nonNumericLearningRateFails() {
        assertMentions(parseFails("--train.lr", "fast").getMessage(), "--train.lr must be a number, got 'fast'");
    }

    @Test
    void nonBooleanFlagFails() {
        assertMentions(parseFails("--model.small-stem", "yes").getMessage(),
                "--model.small-stem must be true or false, got 'yes'");
    }

    @Test
    void startingOffsetsOutsideTheThreeChoicesFail() {
        assertMentions(parseFails("--kafka.starting-offsets", "newest").getMessage(),
                "--kafka.starting-offsets must be earliest, latest or committed, got 'newest'");
    }

    @Test
    void startingOffsetsAcceptTheThreeChoices() {
        assertEquals(StartingOffsets.EARLIEST, parse("--kafka.starting-offsets", "earliest").kafka().startingOffsets());
        assertEquals(StartingOffsets.LATEST, parse("--kafka.starting-offsets", "latest").kafka().startingOffsets());
        assertEquals(StartingOffsets.COMMITTED, parse("--kafka.starting-offsets", "committed").kafka().startingOffsets());
    }

    @Test
    void publishUriThatIsNeitherS3NorAbsoluteFileFails() {
        for (String bad : List.of("/tmp/checkpoints", "file://relative/path", "http://bucket/prefix")) {
            assertMentions(parseFails("--publish.uri", bad).getMessage(),
                    "--publish.uri must be s3://bucket/prefix or file:///absolute/path", "'" + bad + "'");
        }
    }

    @Test
    void publishUriMayBeS3OrAbsoluteFile() {
        assertEquals("s3://bucket/run-1", parse("--publish.uri", "s3://bucket/run-1").publish().uri());
        assertEquals("file:///data/ckpt", parse("--publish.uri", "file:///data/ckpt").publish().uri());
    }

    @Test
    void cropScaleWithoutACommaFails() {
        assertMentions(parseFails("--crops.local-scale", "0.5").getMessage(),
                "--crops.local-scale must be two numbers MIN,MAX, got '0.5'");
    }

    @Test
    void cropScaleThatIsNotNumbersFails() {
        assertMentions(parseFails("--crops.global-scale", "small,large").getMessage(),
                "--crops.global-scale must be two numbers MIN,MAX");
    }

    @Test
    void globalCropScaleWithMinAboveMaxFailsWithThePolicysMessage() {
        assertMentions(parseFails("--crops.global-scale", "0.9,0.3").getMessage(),
                "globalScaleMin (0.9) must not exceed globalScaleMax (0.3)");
    }

    @Test
    void imageSideLimitsThatContradictEachOtherFailAtParse() {
        assertMentions(parseFails("--ingest.max-side", "4").getMessage(),
                "ingest.max-side (4) must be at least ingest.min-side (8)");
    }

    @Test
    void nonNumericRestPortFailsAtParse() {
        assertMentions(parseFails("--flink.rest-port", "any").getMessage(),
                "--flink.rest-port must be a whole number, got 'any'");
    }

    @Test
    void unknownBackboneFails() {
        assertMentions(parseFails("--model.backbone", "vgg16").getMessage(), "unknown backbone 'vgg16'",
                "resnet50", "vit_small");
    }

    @Test
    void unknownRecipeFails() {
        assertMentions(parseFails("--recipe", "gpu").getMessage(), "--recipe must be cpu or paper, got 'gpu'");
    }

    // --- Kafka pass-through and secrets ------------------------------------------------------

    @Test
    void otherKafkaOptionsPassThroughWithoutThePrefix() {
        JobConfig config = parse(
                "--kafka.bootstrap-servers", "broker:9093",
                "--kafka.security.protocol", "SASL_SSL",
                "--kafka.sasl.jaas.config", "PlainLoginModule required username=\"u\" password=\"p\";");

        assertEquals(Map.of(
                        "security.protocol", "SASL_SSL",
                        "sasl.jaas.config", "PlainLoginModule required username=\"u\" password=\"p\";"),
                config.kafka().clientProperties());
        assertEquals("broker:9093", config.kafka().bootstrapServers());
    }

    @Test
    void describeMasksS3Keys() {
        Map<String, String> shown = parse("--s3.access-key", "AKIAEXAMPLE", "--s3.secret-key", "s3cr3t").describe();

        assertEquals("***", shown.get("s3.access-key"));
        assertEquals("***", shown.get("s3.secret-key"));
    }

    @Test
    void describeLeavesUnsetS3KeysEmpty() {
        Map<String, String> shown = parse().describe();

        assertEquals("", shown.get("s3.access-key"));
        assertEquals("", shown.get("s3.secret-key"));
    }

    @Test
    void describeMasksKafkaPropertiesThatHoldSecrets() {
        Map<String, String> shown = parse(
                "--kafka.security.protocol", "SASL_SSL",
                "--kafka.sasl.jaas.config", "PlainLoginModule required password=\"p\";",
                "--kafka.ssl.truststore.password", "tpw",
                "--kafka.sasl.oauthbearer.client.credentials.client.secret", "cs",
                "--kafka.ssl.keystore.key=-----BEGIN PRIVATE KEY-----",
                "--kafka.ssl.keystore.location", "/keys/k.jks").describe();

        assertEquals("SASL_SSL", shown.get("kafka.security.protocol"));
        assertEquals("***", shown.get("kafka.sasl.jaas.config"));
        assertEquals("***", shown.get("kafka.ssl.truststore.password"));
        assertEquals("***", shown.get("kafka.sasl.oauthbearer.client.credentials.client.secret"));
        assertEquals("***", shown.get("kafka.ssl.keystore.key"), "an inline PEM key is a secret");
        assertEquals("/keys/k.jks", shown.get("kafka.ssl.keystore.location"), "a file location is not");
    }

    @Test
    void toStringNeverShowsSecrets() {
        String text = parse(
                "--s3.access-key", "AKIAEXAMPLE", "--s3.secret-key", "s3cr3t",
                "--kafka.sasl.jaas.config", "PlainLoginModule required password=\"hunter2\";").toString();

        assertFalse(text.contains("AKIAEXAMPLE"), text);
        assertFalse(text.contains("s3cr3t"), text);
        assertFalse(text.contains("hunter2"), text);
    }

    @Test
    void secretsStayReadableToTheJob() {
        JobConfig config = parse("--s3.secret-key", "s3cr3t", "--kafka.ssl.truststore.password", "tpw");

        assertEquals("s3cr3t", config.publish().s3().secretKey());
        assertEquals("tpw", config.kafka().clientProperties().get("ssl.truststore.password"));
    }

    // --- recipes ---------------------------------------------------------------------------------

    @Test
    void paperRecipeSwitchesTheDefaults() {
        JobConfig config = parse("--recipe", "paper");

        assertEquals("resnet50", config.model().spec().backbone());
        assertEquals(65536, config.model().spec().outDim());
        assertEquals(224, config.crops().policy().globalSize());
        assertEquals(96, config.crops().policy().localSize());
        assertEquals(8, config.crops().policy().localCount());
        assertEquals(64, config.trainer().batchSize());
    }

    @Test
    void paperRecipeWithAVitIsThePapersVitRecipe() {
        JobConfig config = parse("--recipe", "paper", "--model.backbone", "vit_small");
        ModelSpec model = config.model().spec();
        TrainerConfig trainer = config.trainerConfig();
        var schedules = trainer.schedules();

        assertEquals("vit_small", model.backbone());
        assertEquals(16, model.patchSize());
        assertEquals(224, model.imageSize());
        assertEquals(0.1, model.dropPath());
        assertTrue(model.normLastLayer());
        assertFalse(model.headBatchNorm());
        assertEquals(65536, model.outDim());
        assertEquals(Optimizer.Kind.ADAMW, trainer.optimizer());
        assertEquals(3.0, trainer.clipGrad());
        assertEquals(64, config.trainer().batchSize());
        // lr 5e-4 × batch / 256 after a linear warm-up from 0 over 10 epochs (1000 steps each)
        assertEquals(0, schedules.lr().valueAt(0));
        assertEquals(5e-4 * 64 / 256, schedules.lr().valueAt(10_000), 1e-12);
        assertEquals(0.04, schedules.weightDecay().valueAt(0), 1e-12);
        assertEquals(0.996, schedules.teacherMomentum().valueAt(0), 1e-12);
        assertEquals(0.04, schedules.teacherTemp().valueAt(0), 1e-12);
        assertEquals(0.07, schedules.teacherTemp().valueAt(30_000), 1e-12);
        assertEquals(1000, schedules.freezeLastLayerSteps());
        assertEquals(224, config.crops().policy().globalSize());
        assertEquals(96, config.crops().policy().localSize());
        assertEquals(8, config.crops().policy().localCount());
    }

    @Test
    void vitOptionsGoIntoTheModelAndItsGridFollowsTheGlobalCrops() {
        JobConfig config = parse("--model.backbone", "vit_tiny", "--model.patch-size", "4", "--model.drop-path", "0.05");

        assertEquals(new ModelSpec("vit_tiny", 16, true, 4096, 512, 128, 3, true, true, 4, 0.05, 32),
                config.model().spec());
        assertMentions(parseFails("--model.drop-path", "1").getMessage(), "--model.drop-path must be in [0, 1)");
        assertMentions(parseFails("--model.backbone", "vit_huge").getMessage(), "vit_small");
    }

    @Test
    void explicitFlagsWinOverThePaperRecipe() {
        JobConfig config = parse("--recipe", "paper", "--model.out-dim", "4096", "--crops.global-size", "128");

        assertEquals(4096, config.model().spec().outDim());
        assertEquals(128, config.crops().policy().globalSize());
        assertEquals("resnet50", config.model().spec().backbone());
        assertEquals(96, config.crops().policy().localSize());
    }

    @Test
    void recipeMayComeAfterTheFlagsItDoesNotOverride() {
        JobConfig config = parse("--model.out-dim", "4096", "--recipe", "paper");

        assertEquals(4096, config.model().spec().outDim());
        assertEquals("resnet50", config.model().spec().backbone());
    }

    // --- with(...) ------------------------------------------------------------------------------

    @Test
    void withChangesOneOptionAndKeepsTheRest() {
        JobConfig original = parse("--train.seed", "7", "--kafka.topics", "a,b", "--kafka.security.protocol", "SSL");

        JobConfig changed = original.with(Map.of("train.batch-size", "8"));

        assertEquals(8, changed.trainer().batchSize());
        Map<String, String> expected = new LinkedHashMap<>(original.describe());
        expected.put("train.batch-size", "8");
        assertEquals(expected, changed.describe());
        assertEquals(Map.of("security.protocol", "SSL"), changed.kafka().clientProperties());
        assertEquals(32, original.trainer().batchSize());
    }

    @Test
    void withValidatesTheChange() {
        JobConfig original = parse();

        assertMentions(assertThrows(IllegalArgumentException.class,
                        () -> original.with(Map.of("train.max-steps", "-3"))).getMessage(),
                "--train.max-steps must be >= 0, got -3");
    }

    // --- the parts' configs ------------------------------------------------------------------

    @Test
    void cropPolicyReflectsTheCropOptions() {
        JobConfig config = parse("--crops.global-size", "48", "--crops.local-size", "24", "--crops.global-count", "3",
                "--crops.local-count", "6", "--crops.global-scale", "0.5, 0.9", "--crops.local-scale", "0.1,0.3");

        assertEquals(new MultiCropPolicy(48, 24, 3, 6, 0.5, 0.9, 0.1, 0.3, 0.1, 2.0), config.crops().policy());
    }

    @Test
    void defaultCropPolicyIsTheSmallImageOne() {
        assertEquals(new MultiCropPolicy(32, 16, 2, 4, 0.4, 1.0, 0.05, 0.4, 0.1, 2.0), parse().crops().policy());
    }

    @Test
    void modelSpecReflectsTheModelOptions() {
        JobConfig config = parse("--model.backbone", "resnet34", "--model.width", "8", "--model.small-stem", "false",
                "--model.out-dim", "256", "--model.hidden-dim", "64", "--model.bottleneck-dim", "32",
                "--model.norm-last-layer", "false", "--model.head-bn", "false");

        assertEquals(new ModelSpec("resnet34", 8, false, 256, 64, 32, 3, false, false), config.model().spec());
    }

    @Test
    void defaultModelSpecIsTheSmallResNet10() {
        assertEquals(new ModelSpec("resnet10", 16, true, 4096, 512, 128, 3, true, true), parse().model().spec());
    }

    @Test
    void optimizerAndKoleoAreChosenByOptionAndAnUnknownOptimizerIsRefused() {
        assertEquals(Optimizer.Kind.ADAMW, parse().trainerConfig().optimizer());
        assertEquals(0.0, parse().trainerConfig().koleoWeight());
        TrainerConfig sgd = parse("--train.optimizer", "sgd", "--train.koleo-weight", "0.1").trainerConfig();
        assertEquals(Optimizer.Kind.SGD, sgd.optimizer());
        assertEquals(0.1, sgd.koleoWeight());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> parse("--train.optimizer", "lars"));
        assertTrue(e.getMessage().contains("adamw or sgd"), e.getMessage());
    }

    @Test
    void trainerConfigReflectsTheTrainingOptions() {
        JobConfig config = parse("--crops.global-count", "2", "--crops.local-count", "6",
                "--train.student-temp", "0.2", "--train.center-momentum", "0.8", "--train.clip-grad", "0",
                "--train.seed", "42", "--train.freeze-last-layer-steps", "5");

        TrainerConfig trainer = config.trainerConfig();

        assertEquals(config.model().spec(), trainer.model());
        assertEquals(2, trainer.globalViews());
        assertEquals(6, trainer.localViews());
        assertEquals(0.2, trainer.studentTemp());
        assertEquals(0.8, trainer.centerMomentum());
        assertEquals(0.0, trainer.clipGrad());
        assertEquals(42, trainer.seed());
        assertEquals(5, trainer.schedules().freezeLastLayerSteps());
    }

    @Test
    void trainerLearningRateIsScaledByBatchOver256() {
        JobConfig config = parse("--train.lr", "0.004", "--train.batch-size", "64", "--train.min-lr", "1e-5",
                "--train.warmup-steps", "10", "--train.horizon-steps", "1000");

        var lr = config.trainerConfig().schedules().lr();

        assertEquals(0.004 * 64 / 256, lr.base(), 1e-15);
        assertEquals(1e-5, lr.end());
        assertEquals(10, lr.warmupSteps());
        assertEquals(1000, lr.totalSteps());
    }

    @Test
    void trainerSchedulesReflectTheScheduleOptions() {
        JobConfig config = parse("--train.weight-decay", "0.05", "--train.weight-decay-end", "0.3",
                "--train.teacher-momentum", "0.995", "--train.teacher-momentum-end", "0.999",
                "--train.warmup-teacher-temp", "0.03",
                "--train.teacher-temp", "0.06", "--train.teacher-temp-warmup-steps", "20", "--train.restart", "true");

        var schedules = config.trainerConfig().schedules();

        assertEquals(0.05, schedules.weightDecay().base());
        assertEquals(0.3, schedules.weightDecay().end());
        assertEquals(0.995, schedules.teacherMomentum().base());
        assertEquals(0.999, schedules.teacherMomentum().end());
        assertEquals(0.03, schedules.teacherTemp().valueAt(0), 1e-12);
        assertEquals(0.06, schedules.teacherTemp().valueAt(20), 1e-12);
        assertTrue(schedules.lr().restart());
    }

    @Test
    void monitorOptionsAreChecked() {
        assertEquals("stream", parse().monitor().probe());
        assertEquals("idx:/data/t10k-images-idx3-ubyte.gz",
                parse("--monitor.probe", "idx:/data/t10k-images-idx3-ubyte.gz").monitor().probe());
        assertEquals("off", parse("--monitor.probe", "off").monitor().probe());
        assertMentions(parseFails("--monitor.probe", "held-out").getMessage(),
                "--monitor.probe must be stream, off, idx:PATH or folder:PATH", "held-out");
        assertMentions(parseFails("--monitor.holdout-percent", "120").getMessage(),
                "--monitor.holdout-percent must be between 0 and 100, got 120");
        assertMentions(parseFails("--monitor.probe-size", "0").getMessage(), "--monitor.probe-size must be > 0");
    }
}
