package io.dinostream.datasets;

import io.dinostream.config.Cli;
import java.util.List;
import java.util.Map;
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

    private ProduceCommand() {}

    /** Runs the command; returns the exit status (0 all acknowledged, 1 not). */
    public static int run(List<String> args) {
        Cli cli = new Cli(USAGE)
                .option("bootstrap-servers", "", "Kafka bootstrap servers, host:port[,host:port] (required)")
                .option("topic", "images", "topic to write")
                .option("dataset", "synthetic", "images to send: " + ImageSources.FORMS)
                .option("rate", "100", "images per second (0: as fast as the broker takes them)")
                .option("loop", "false", "send a finite dataset again and again")
                .option("limit", "0", "stop after N images (0: when the dataset ends; synthetic never ends)")
                .option("seed", "0", "seed of the synthetic images")
                .option("max-block-ms", "15000", "how long to wait for an unreachable broker before failing");
        Map<String, String> kafkaFlags = cli.parseWithPassThrough(args, name -> name.startsWith("kafka."));
        if (kafkaFlags == null) {
            return 0;
        }
        Properties kafka = new Properties();
        kafkaFlags.forEach((name, value) -> {
            String property = name.substring("kafka.".length());
            if (!ProducerConfig.configNames().contains(property)) {
                throw new IllegalArgumentException("--" + name + " is not a Kafka producer property");
            }
            kafka.put(property, value);
        });
        String servers = cli.get("bootstrap-servers").strip();
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("--bootstrap-servers is required, e.g. localhost:9094\n\n" + cli.help());
        }
        kafka.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        kafka.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, cli.get("max-block-ms"));
        DatasetProducer producer = new DatasetProducer(cli.get("dataset"), cli.get("topic"), cli.getDouble("rate"),
                cli.getBoolean("loop"), cli.getLong("limit"), cli.getLong("seed"));
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
