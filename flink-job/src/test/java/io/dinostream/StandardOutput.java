package io.dinostream;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** What code prints on System.out, for tests of what commands tell their users. */
public final class StandardOutput {

    /** Code that may print and throw. */
    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    private StandardOutput() {}

    /** Runs action and returns everything it printed on System.out, which is then put back. */
    public static String of(Action action) throws Exception {
        PrintStream saved = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (PrintStream capture = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            action.run();
        } finally {
            System.setOut(saved);
        }
        return printed.toString(StandardCharsets.UTF_8);
    }
}
