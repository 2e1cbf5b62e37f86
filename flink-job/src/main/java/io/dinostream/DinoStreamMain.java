package io.dinostream;

import io.dinostream.bench.StepBenchmark;

import java.util.Arrays;
import java.util.List;

/**
 * The one entry point: {@code demo} (the embedded end-to-end stack), {@code bench-step} (trainer
 * step time), {@code --help}.
 */
public final class DinoStreamMain {

    private static final String USAGE =
            """
            DINO Stream: continuous DINO self-supervised training on image streams.

            Commands:
              demo         run Kafka, object storage and the job in one process (not built yet)
              bench-step   measure the DINO trainer's step time on this machine
              help         this text

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
                case "demo" -> {
                    System.out.println("demo: not yet. The streaming job (Kafka in, checkpoints out) is"
                            + " the next piece of work; today this build holds the DINO core and"
                            + " 'bench-step'.");
                }
                case "bench-step" -> StepBenchmark.run(rest);
                default -> {
                    System.err.println("unknown command '" + args[0] + "'\n\n" + USAGE);
                    System.exit(2);
                }
            }
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }
}
