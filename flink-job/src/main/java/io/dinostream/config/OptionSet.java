package io.dinostream.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The options of the job or of a command: parses flags ({@code --name value} or {@code
 * --name=value}, see {@link Flags}), an optional properties file named by {@link #CONFIG} (same
 * names without the dashes; flags win), or a map of names to texts, into {@link OptionValues}, and
 * writes the help that lists every option with its default. An unknown name is refused with the
 * nearest known one ("unknown option --train.batchsize; did you mean --train.batch-size?"), unless
 * a {@link PassThrough} rule claims it. Immutable: each {@code with…} returns a new set.
 */
public final class OptionSet {

    /** A properties file with any of the set's options; flags given beside it win. */
    public static final Option<String> CONFIG =
            Option.text("config", "", "properties file with any of these options (flags win)");

    private static final int MAX_SUGGESTION_DISTANCE = 4;

    private final String usage;
    private final String heading;
    private final Map<String, Option<?>> options;
    private final Map<String, String> defaults;
    private final List<PassThrough> passThroughs;

    private OptionSet(String usage, String heading, Map<String, Option<?>> options, Map<String, String> defaults,
            List<PassThrough> passThroughs) {
        this.usage = usage;
        this.heading = heading;
        this.options = Collections.unmodifiableMap(options);
        this.defaults = Collections.unmodifiableMap(defaults);
        this.passThroughs = List.copyOf(passThroughs);
    }

    /** A set of options, listed in help in this order; usage (may be empty) opens the help. */
    public static OptionSet of(String usage, List<? extends Option<?>> options) {
        return new OptionSet(usage, "Options:", new LinkedHashMap<>(), new LinkedHashMap<>(), List.of()).with(options);
    }

    /** A set of options, listed in help in this order; usage (may be empty) opens the help. */
    public static OptionSet of(String usage, Option<?>... options) {
        return of(usage, List.of(options));
    }

    /** This set and more options after its own. */
    public OptionSet with(List<? extends Option<?>> more) {
        Map<String, Option<?>> all = new LinkedHashMap<>(options);
        Map<String, String> allDefaults = new LinkedHashMap<>(defaults);
        for (Option<?> option : more) {
            if (all.put(option.name(), option) != null) {
                throw new IllegalStateException("option " + option + " is declared twice");
            }
            allDefaults.put(option.name(), option.defaultText());
        }
        return new OptionSet(usage, heading, all, allDefaults, passThroughs);
    }

    /** This set, also handing on the flags that rule claims. */
    public OptionSet passing(PassThrough rule) {
        List<PassThrough> rules = new ArrayList<>(passThroughs);
        rules.add(rule);
        return new OptionSet(usage, heading, new LinkedHashMap<>(options), new LinkedHashMap<>(defaults), rules);
    }

    /** This set with help's list of options under another heading. */
    public OptionSet withHeading(String otherHeading) {
        return new OptionSet(usage, otherHeading, new LinkedHashMap<>(options), new LinkedHashMap<>(defaults),
                passThroughs);
    }

    /**
     * This set with other defaults for some options (a recipe's): values not given take these.
     * Help keeps showing the declared defaults.
     */
    public OptionSet withDefaults(Map<String, String> overrides) {
        Map<String, String> all = new LinkedHashMap<>(defaults);
        overrides.forEach((name, text) -> {
            if (!options.containsKey(name)) {
                throw new IllegalStateException("no option --" + name + " to give a default");
            }
            all.put(name, text);
        });
        return new OptionSet(usage, heading, new LinkedHashMap<>(options), all, passThroughs);
    }

    /** The declared options, in help order. */
    public List<Option<?>> options() {
        return List.copyOf(options.values());
    }

    /**
     * Parses command-line arguments, and the {@link #CONFIG} file they name when this set declares
     * it; null when they ask for help ({@code --help}, {@code -h}), which the caller prints.
     */
    public OptionValues parseArgs(List<String> args) {
        return Flags.wantsHelp(args) ? null : parseFlags(Flags.parse(args));
    }

    /** Parses flags over the {@link #CONFIG} file they name, when this set declares it. */
    public OptionValues parseFlags(Map<String, String> flags) {
        return parse(options.containsKey(CONFIG.name()) ? overConfigFile(flags) : flags);
    }

    /** Parses names (without dashes) to texts; every name must be an option or pass through. */
    public OptionValues parse(Map<String, String> settings) {
        return parse(settings, true);
    }

    /**
     * Parses the names this set declares and ignores the others: for a map written by another
     * version or for another purpose (a checkpoint manifest's config). Missing options take their
     * defaults.
     */
    public OptionValues parseKnown(Map<String, String> settings) {
        return parse(settings, false);
    }

    private OptionValues parse(Map<String, String> settings, boolean strict) {
        Map<String, String> texts = new LinkedHashMap<>(defaults);
        Map<String, String> passed = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : settings.entrySet()) {
            String name = e.getKey();
            if (options.containsKey(name)) {
                texts.put(name, e.getValue().trim());
            } else if (strict) {
                passed.put(name, e.getValue());
                refuseUnlessPassed(name);
            }
        }
        Map<String, Object> values = new LinkedHashMap<>();
        options.forEach((name, option) -> values.put(name, option.parse(texts.get(name))));
        return new OptionValues(options, texts, values, passed, passThroughs);
    }

    private void refuseUnlessPassed(String name) {
        for (PassThrough rule : passThroughs) {
            if (rule.claims(name)) {
                String refusal = rule.refusalOf(name);
                if (refusal == null) {
                    return;
                }
                throw new IllegalArgumentException(refusal + suggestion(name) + " (run with --help for the list)");
            }
        }
        throw new IllegalArgumentException("unknown option --" + name + suggestion(name)
                + " (run with --help for the list)");
    }

    /** "; did you mean --NAME?" for the nearest option or allowed pass-through name, if one is near. */
    private String suggestion(String name) {
        List<String> candidates = new ArrayList<>(options.keySet());
        passThroughs.forEach(rule -> candidates.addAll(rule.allowedNames()));
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String known : candidates) {
            int d = distance(name, known);
            if (d < bestDistance) {
                bestDistance = d;
                best = known;
            }
        }
        return bestDistance <= MAX_SUGGESTION_DISTANCE ? "; did you mean --" + best + "?" : "";
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1], prev[j]) + 1,
                        prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** flags over the properties file that their {@link #CONFIG} names, if any. */
    public static Map<String, String> overConfigFile(Map<String, String> flags) {
        Map<String, String> merged = new LinkedHashMap<>();
        String file = flags.get(CONFIG.name());
        if (file != null && !file.isBlank()) {
            merged.putAll(readProperties(Path.of(file)));
        }
        merged.putAll(flags);
        return merged;
    }

    private static Map<String, String> readProperties(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read --config " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> out = new TreeMap<>();
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
        return out;
    }

    /**
     * The usage, then every option with its description and, on the next line, its declared
     * default ("(none)" when empty), then the pass-through rules that have a help line.
     */
    public String help() {
        int width = 0;
        for (String name : options.keySet()) {
            width = Math.max(width, name.length());
        }
        for (PassThrough rule : passThroughs) {
            width = Math.max(width, rule.helpName().length());
        }
        StringBuilder sb = new StringBuilder();
        if (!usage.isEmpty()) {
            sb.append(usage).append("\n\n");
        }
        sb.append(heading).append('\n');
        String nameColumn = "  --%-" + width + "s %s%n";
        for (Option<?> option : options.values()) {
            sb.append(String.format(nameColumn, option.name(), option.description()));
            sb.append(String.format("  %-" + (width + 2) + "s default: %s%n", "",
                    option.defaultText().isEmpty() ? "(none)" : option.defaultText()));
        }
        for (PassThrough rule : passThroughs) {
            if (!rule.helpName().isEmpty()) {
                sb.append(String.format(nameColumn, rule.helpName(), rule.helpDescription()));
            }
        }
        return sb.toString();
    }

    /** The text of an option that has no usable default, or an error that shows this set's help. */
    public String required(OptionValues given, Option<String> option) {
        String value = given.get(option);
        if (value.isEmpty()) {
            throw new IllegalArgumentException(option + " is required\n\n" + help());
        }
        return value;
    }
}
