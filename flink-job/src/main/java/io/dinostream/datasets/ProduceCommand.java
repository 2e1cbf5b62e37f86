package io.dinostream.datasets;

import io.dinostream.config.Option;
import io.dinostream.config.OptionSet;
import io.dinostream.config.OptionValues;
import io.dinostream.config.PassThrough;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * {@code produce}: sends a dataset to any Kafka as {@code ImageEvent} records — to feed a job
 * running elsewhere (the compose stack, a cluster) with synthetic images, Fashion-MNIST or a folder.
 */
public final class ProduceCommand {

    private static final String USAGE = """
            produce: send images to a Kafka topic as ImageEvent records (keyed by image id)

            Usage: produce --bootstrap-servers HOST:PORT [--topic images] [--dataset SPEC]
                           [--rate N] [--loop true] [--limit N] [--kafka.<producer property> VALUE]

            Any --kafka.X is a Kafka producer property, e.g. --kafka.security.protocol SASL_SSL or
            --kafka.max.request.size 20971520 for images over 1 MB. Prints what the broker
            acknowledged; exits 1 when any image could not be sent.""";

    static final Option<String> BOOTSTRAP_SERVERS = Option.text("bootstrap-servers", "",
            "Kafka bootstrap servers, host:port[,host:port] (required)");
    static final Option<String> TOPIC = Option.text("topic", "images", "topic to write");
    static final Option<String> DATASET = Option.text("dataset", "synthetic", "images to send: " + ImageSources.FORMS);
    static final Option<Double> RATE =
            Option.number("rate", "100", "images per second (0: as fast as the broker takes them)");
    static final Option<Boolean> LOOP = Option.bool("loop", "false", "send a finite dataset again and again");
    static final Option<Long> LIMIT =
            Option.wholeNumber("limit", "0", "stop after N images (0: when the dataset ends; synthetic never ends)");
    static final Option<Long> SEED = Option.wholeNumber("seed", "0", "seed of the synthetic images and of the order");
    static final Option<String> ORDER = Option.text("order", "file", "order of a finite dataset's images: "
            + StreamOrder.FORMS + " (class runs: real streams are not shuffled)");
    static final Option<Long> MAX_BLOCK_MS = Option.wholeNumber("max-block-ms", "15000",
            "how long to wait for an unreachable broker before failing");

    private static final String KAFKA = "kafka.";

    /** Ours, and any Kafka producer property as --kafka.X. */
    static final OptionSet OPTIONS = OptionSet.of(USAGE, BOOTSTRAP_SERVERS, TOPIC, DATASET, RATE, LOOP, LIMIT, SEED,
                    ORDER, MAX_BLOCK_MS)
            .passing(PassThrough.prefixed(KAFKA, ProducerConfig.configNames(),
                            name -> "--" + name + " is not a Kafka producer property")
                    .help("kafka.<property>", "any Kafka producer property, e.g. --kafka.security.protocol SASL_SSL"));

    private ProduceCommand() {}

    /** Runs the command; returns the exit status (0 all acknowledged, 1 not). */
    public static int run(List<String> args) {
        OptionValues given = OPTIONS.parseArgs(args);
        if (given == null) {
            System.out.println(OPTIONS.help());
            return 0;
        }
        Properties kafka = new Properties();
        given.passedThrough().forEach((name, value) -> kafka.put(name.substring(KAFKA.length()), value));
        String servers = given.get(BOOTSTRAP_SERVERS);
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("--bootstrap-servers is required, e.g. localhost:9094\n\n" + OPTIONS.help());
        }
        kafka.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        kafka.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, given.text(MAX_BLOCK_MS));
        DatasetProducer producer = new DatasetProducer(given.get(DATASET), given.get(TOPIC), given.get(RATE),
                given.get(LOOP), given.get(LIMIT), given.get(SEED), given.get(ORDER));
        ImageSources.open(producer.dataset(), producer.seed()).close(); // a bad spec fails here, before Kafka

        // Ctrl-C or SIGTERM: stop sending, and let the summary of what was acknowledged print first.
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch summarised = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                summarised.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        System.out.printf("sending %s to topic %s at %s%n", producer.dataset(), producer.topic(), servers);
        DatasetProducer.Result result = producer.run(kafka, stop, new AtomicLong());
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down (Ctrl-C): the hook waits for this summary
        }
        System.out.printf("sent %d images to %s: %d acknowledged, %d failed%n", result.sent(), producer.topic(),
                result.acknowledged(), result.failed());
        if (result.firstFailure() != null) {
            String hint = result.firstFailure() instanceof TimeoutException
                    ? " (is the broker at " + servers + " reachable from here, and does topic " + producer.topic()
                            + " exist?)"
                    : "";
            System.err.println("error: " + result.firstFailure().getMessage() + hint);
        }
        summarised.countDown();
        return result.firstFailure() == null && result.failed() == 0 && result.acknowledged() == result.sent() ? 0 : 1;
    }
}
