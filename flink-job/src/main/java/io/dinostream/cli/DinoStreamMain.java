package io.dinostream.cli;

import io.dinostream.DinoStreamJob;
import io.dinostream.bench.AugBenchmark;
import io.dinostream.bench.PrecisionCheck;
import io.dinostream.bench.QualityBenchmark;
import io.dinostream.bench.StepBenchmark;
import io.dinostream.chaos.ChaosCommand;
import io.dinostream.datasets.ProduceCommand;
import io.dinostream.eval.AttentionCommand;
import io.dinostream.eval.EmbedCommand;
import io.dinostream.eval.KnnCommand;
import io.dinostream.local.ClusterCommand;
import io.dinostream.local.Demo;

import java.util.Arrays;
import java.util.List;

/**
 * The one entry point: the commands listed in its usage text ({@code demo}, {@code job},
 * {@code produce}, {@code bench-step}, {@code bench-aug}, {@code check-bf16}, {@code bench-quality}, {@code embed}, {@code knn},
 * {@code attention},
 * {@code chaos}, {@code cluster}, {@code help}), each run by a case of the switch in {@link #main}.
 */
public final class DinoStreamMain {

    private static final String USAGE =
            """
            DINO Stream: continuous DINO self-supervised training on image streams.

            Commands:
              demo           run Kafka, object storage, a producer and the job in one process
              job            run the job against real Kafka and object storage (as 'flink run' does)
              produce        send images (synthetic, IDX files, a folder) to a Kafka topic
              bench-step     measure the DINO trainer's step time on this machine
              bench-aug      measure JPEG decode and multi-crop throughput on one core
              check-bf16     bound a bf16 training step's deviation from the fp32 step (GPU only)
              bench-quality  train on Fashion-MNIST for a budget and score each checkpoint with k-NN
              embed          write the features of images from a published checkpoint (numpy .npz)
              knn            k-NN top-1/top-5 accuracy of query features against a labelled bank
              attention      draw a ViT checkpoint's last-layer CLS attention per head as PNGs
              chaos          run the job under injected faults (kill -9, store and broker down, poison,
                             CPU hog) and check that nothing is lost
              cluster        start or stop a Flink session cluster on loopback (JVMs of its own)
              help           this text

            Run '<command> --help' for a command's options.""";

    private DinoStreamMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || List.of("help", "--help", "-h").contains(args[0])) {
            System.out.println(USAGE);
            return;
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        try {
            switch (args[0]) {
                case "demo" -> System.exit(Demo.run(rest));
                case "job" -> {
                    // A local Flink leaves non-daemon threads behind: end the process when the job ends
                    // (a bounded input, a drain), as a job submitted to a cluster ends there.
                    DinoStreamJob.main(rest.toArray(new String[0]));
                    System.exit(0);
                }
                case "produce" -> System.exit(ProduceCommand.run(rest));
                case "bench-step" -> StepBenchmark.run(rest);
                case "bench-aug" -> System.exit(AugBenchmark.run(rest));
                case "bench-quality" -> System.exit(QualityBenchmark.run(rest));
                case "check-bf16" -> System.exit(PrecisionCheck.run(rest));
                case "embed" -> System.exit(EmbedCommand.run(rest));
                case "knn" -> KnnCommand.run(rest);
                case "attention" -> System.exit(AttentionCommand.run(rest));
                case "chaos" -> System.exit(ChaosCommand.run(rest));
                case "cluster" -> System.exit(ClusterCommand.run(rest));
                default -> {
                    System.err.println("unknown command '" + args[0] + "'\n\n" + USAGE);
                    System.exit(2);
                }
            }
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        } catch (Exception e) {
            // A failed job leaves a local Flink's non-daemon threads running: exit, so a supervisor
            // (or the user) sees the failure instead of a process that lingers and does nothing.
            System.err.println(args[0] + " failed:");
            e.printStackTrace();
            System.exit(1);
        }
    }
}
