package io.dinostream.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What each kind of option accepts, and the message it refuses the rest with. */
final class OptionTest {

    private static String refusal(Option<?> option, String text) {
        return assertThrows(IllegalArgumentException.class, () -> option.parse(text)).getMessage();
    }

    @Test
    void integerTakesWholeNumbersThatFitAnInt() {
        Option<Integer> width = Option.integer("model.width", "16", "width");

        assertEquals(8, width.parse(" 8 "));
        assertEquals("--model.width must be a whole number, got '8.5'", refusal(width, "8.5"));
        assertEquals("--model.width is too large: 99999999999", refusal(width, "99999999999"));
    }

    @Test
    void numberTakesFiniteDecimalsOnly() {
        Option<Double> lr = Option.number("train.lr", "0.01", "lr");

        assertEquals(1e-6, lr.parse("1e-6"));
        assertEquals("--train.lr must be a number, got 'fast'", refusal(lr, "fast"));
        assertEquals("--train.lr must be a number, got 'NaN'", refusal(lr, "NaN"));
        assertEquals("--train.lr must be a number, got 'Infinity'", refusal(lr, "Infinity"));
    }

    @Test
    void boolTakesTrueOrFalseInAnyCase() {
        Option<Boolean> stem = Option.bool("model.small-stem", "true", "stem");

        assertEquals(false, stem.parse("FALSE"));
        assertEquals("--model.small-stem must be true or false, got 'yes'", refusal(stem, "yes"));
    }

    @Test
    void rangeTakesTwoNumbers() {
        Option<Option.Range> scale = Option.range("crops.local-scale", "0.05,0.4", "scale");

        assertEquals(new Option.Range(0.1, 0.3), scale.parse("0.1, 0.3"));
        assertEquals("--crops.local-scale must be two numbers MIN,MAX, got '0.5'", refusal(scale, "0.5"));
        assertEquals("--crops.local-scale must be two numbers MIN,MAX, got 'a,b'", refusal(scale, "a,b"));
    }

    @Test
    void listDropsBlanks() {
        Option<List<String>> topics = Option.list("kafka.topics", "images", "topics");

        assertEquals(List.of("a", "b"), topics.parse("a, ,b,"));
    }

    @Test
    void oneOfNamesTheChoices() {
        Option<String> recipe = Option.oneOf("recipe", "cpu", "recipe", List.of("cpu", "paper"));

        assertEquals("paper", recipe.parse("paper"));
        assertEquals("--recipe must be cpu or paper, got 'gpu'", refusal(recipe, "gpu"));
    }

    @Test
    void checksNameTheOptionAndTheValueAsWritten() {
        assertEquals("--train.batch-size must be > 0, got 0",
                refusal(Option.integer("train.batch-size", "32", "").positive(), "0"));
        assertEquals("--train.max-steps must be >= 0, got -1",
                refusal(Option.wholeNumber("train.max-steps", "0", "").nonNegative(), "-1"));
        assertEquals("--monitor.holdout-percent must be between 0 and 100, got 120",
                refusal(Option.number("monitor.holdout-percent", "2", "").between(0, 100), "120"));
        assertEquals("--publish.uri must be s3://… or file:///…, got '/tmp'",
                refusal(Option.text("publish.uri", "", "").mustBe(u -> u.startsWith("s3://"), "s3://… or file:///…"),
                        "/tmp"));
    }

    @Test
    void parsedByKeepsTheOwnersMessage() {
        Option<Integer> even = Option.parsedBy("even", "2", "", text -> {
            int v = Integer.parseInt(text);
            if (v % 2 != 0) {
                throw new IllegalArgumentException("odd: " + v);
            }
            return v;
        });

        assertEquals("odd: 3", refusal(even, "3"));
    }

    @Test
    void requireChecksAValueBuiltInCodeWithTheSameRules() {
        Option<Integer> batch = Option.integer("train.batch-size", "32", "").positive();

        assertEquals(4, batch.require(4));
        assertEquals("--train.batch-size must be > 0, got 0",
                assertThrows(IllegalArgumentException.class, () -> batch.require(0)).getMessage());
    }
}
