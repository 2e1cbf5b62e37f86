package io.dinostream.config;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One option, declared once: its name, its default as text (what {@code --help} shows and a
 * manifest records), a one-line description, how its text becomes a value and which values it
 * takes. Immutable: {@link #positive()} and the other checks return a new option. Each stage
 * declares its options as constants beside the code that uses them; an {@link OptionSet} parses
 * flags and properties files against them. The shape follows Flink's {@code ConfigOptions} (a
 * typed key with a default and a description), plus the validation and the messages ours need:
 * every refusal names the option and says what to write ("--train.batch-size must be > 0, got 0").
 *
 * @param <T> the parsed value's type
 */
public final class Option<T> {

    /** Parses an option's text (already trimmed); throws IllegalArgumentException naming the option. */
    @FunctionalInterface
    interface Parser<T> {
        T parse(String name, String text);
    }

    /** A rule on the parsed value, with the message for a value that breaks it (given its text). */
    private record Check<T>(Predicate<T> accepts, Function<String, String> message) {}

    /** Two numbers MIN,MAX, as {@code --crops.global-scale 0.4,1.0} writes them. */
    public record Range(double min, double max) {}

    private final String name;
    private final String defaultText;
    private final String description;
    private final Parser<T> parser;
    private final List<Check<T>> checks;
    private final boolean secret;

    private Option(String name, String defaultText, String description, Parser<T> parser, List<Check<T>> checks,
            boolean secret) {
        this.name = Objects.requireNonNull(name);
        this.defaultText = Objects.requireNonNull(defaultText);
        this.description = Objects.requireNonNull(description);
        this.parser = parser;
        this.checks = List.copyOf(checks);
        this.secret = secret;
    }

    private static <T> Option<T> declare(String name, String defaultText, String description, Parser<T> parser) {
        return new Option<>(name, defaultText, description, parser, List.of(), false);
    }

    /** Text, taken as written (trimmed). */
    public static Option<String> text(String name, String defaultText, String description) {
        return declare(name, defaultText, description, (n, t) -> t);
    }

    /** A whole number that fits an int. */
    public static Option<Integer> integer(String name, String defaultText, String description) {
        return declare(name, defaultText, description, (n, t) -> {
            long v = parseLong(n, t);
            if (v != (int) v) {
                throw new IllegalArgumentException("--" + n + " is too large: " + v);
            }
            return (int) v;
        });
    }

    /** A whole number. */
    public static Option<Long> wholeNumber(String name, String defaultText, String description) {
        return declare(name, defaultText, description, Option::parseLong);
    }

    /** A finite decimal number. */
    public static Option<Double> number(String name, String defaultText, String description) {
        return declare(name, defaultText, description, Option::parseDouble);
    }

    /** true or false, in any case. */
    public static Option<Boolean> bool(String name, String defaultText, String description) {
        return declare(name, defaultText, description, (n, t) -> {
            String v = t.toLowerCase(Locale.ROOT);
            if (!v.equals("true") && !v.equals("false")) {
                throw new IllegalArgumentException("--" + n + " must be true or false, got '" + t + "'");
            }
            return v.equals("true");
        });
    }

    /** Two numbers MIN,MAX. */
    public static Option<Range> range(String name, String defaultText, String description) {
        return declare(name, defaultText, description, (n, t) -> {
            String[] parts = t.split(",");
            try {
                if (parts.length == 2) {
                    return new Range(Double.parseDouble(parts[0].trim()), Double.parseDouble(parts[1].trim()));
                }
            } catch (NumberFormatException e) {
                // refused below with the same message as a missing comma
            }
            throw new IllegalArgumentException("--" + n + " must be two numbers MIN,MAX, got '" + t + "'");
        });
    }

    /** Comma-separated words; blanks between commas are dropped. */
    public static Option<List<String>> list(String name, String defaultText, String description) {
        return declare(name, defaultText, description, (n, t) -> {
            List<String> out = new ArrayList<>();
            for (String part : t.split(",")) {
                if (!part.isBlank()) {
                    out.add(part.trim());
                }
            }
            return List.copyOf(out);
        });
    }

    /** One of a few words, e.g. earliest, latest or committed. */
    public static Option<String> oneOf(String name, String defaultText, String description, List<String> choices) {
        List<String> allowed = List.copyOf(choices);
        return text(name, defaultText, description).mustBe(allowed::contains, alternatives(allowed));
    }

    /**
     * Parsed by a function of the stage that owns the value (e.g. {@code Optimizer.Kind::parse}),
     * whose IllegalArgumentException is the message the user sees.
     */
    public static <T> Option<T> parsedBy(String name, String defaultText, String description,
            Function<String, T> parse) {
        return declare(name, defaultText, description, (n, t) -> parse.apply(t));
    }

    /** Also refuses values that are not above zero: "--name must be > 0, got TEXT". */
    public Option<T> positive() {
        return check(v -> ((Number) v).doubleValue() > 0, t -> "--" + name + " must be > 0, got " + t);
    }

    /** Also refuses values below zero: "--name must be >= 0, got TEXT". */
    public Option<T> nonNegative() {
        return check(v -> ((Number) v).doubleValue() >= 0, t -> "--" + name + " must be >= 0, got " + t);
    }

    /** Also refuses values outside [min, max]. */
    public Option<T> between(double min, double max) {
        return check(v -> ((Number) v).doubleValue() >= min && ((Number) v).doubleValue() <= max,
                t -> "--" + name + " must be between " + plain(min) + " and " + plain(max) + ", got " + t);
    }

    /** Also refuses values that accepts refuses: "--name must be REQUIREMENT, got 'TEXT'". */
    public Option<T> mustBe(Predicate<T> accepts, String requirement) {
        return check(accepts, t -> "--" + name + " must be " + requirement + ", got '" + t + "'");
    }

    /** Also refuses values that accepts refuses, with the message made from the value's text. */
    public Option<T> check(Predicate<T> accepts, Function<String, String> message) {
        List<Check<T>> more = new ArrayList<>(checks);
        more.add(new Check<>(accepts, message));
        return new Option<>(name, defaultText, description, parser, more, secret);
    }

    /** Marks the value as a secret: {@link OptionValues#describe()} shows a set value as ***. */
    public Option<T> secret() {
        return new Option<>(name, defaultText, description, parser, checks, true);
    }

    public String name() {
        return name;
    }

    public String defaultText() {
        return defaultText;
    }

    public String description() {
        return description;
    }

    public boolean isSecret() {
        return secret;
    }

    /** The value of text (trimmed first), checked; the message of a refusal names the option. */
    public T parse(String text) {
        String trimmed = text.trim();
        T value = parser.parse(name, trimmed);
        requireAccepted(value, trimmed);
        return value;
    }

    /**
     * Checks a value built in code against this option's rules, with the messages parsing gives:
     * settings records call it so that they are valid however they were made.
     */
    public T require(T value) {
        requireAccepted(value, String.valueOf(value));
        return value;
    }

    private void requireAccepted(T value, String text) {
        for (Check<T> check : checks) {
            if (!check.accepts().test(value)) {
                throw new IllegalArgumentException(check.message().apply(text));
            }
        }
    }

    @Override
    public String toString() {
        return "--" + name;
    }

    private static long parseLong(String name, String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a whole number, got '" + text + "'");
        }
    }

    private static double parseDouble(String name, String text) {
        try {
            double v = Double.parseDouble(text);
            if (Double.isFinite(v)) {
                return v;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IllegalArgumentException("--" + name + " must be a number, got '" + text + "'");
    }

    /** "a, b or c". */
    static String alternatives(List<String> words) {
        if (words.size() == 1) {
            return words.get(0);
        }
        return String.join(", ", words.subList(0, words.size() - 1)) + " or " + words.get(words.size() - 1);
    }

    private static String plain(double v) {
        return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }
}
