package io.dinostream.config;


import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Parsed command-line options of the form {@code --name value} or {@code --name=value}. Every
 * option must be declared with a default and a description, so {@code --help} lists them all and
 * an unknown or malformed option fails with a message that says what to write instead.
 */
public final class Cli {

    private final Map<String, String[]> declared = new LinkedHashMap<>();
    private final Map<String, String> values = new LinkedHashMap<>();
    private final String usage;

    public Cli(String usage) {
        this.usage = usage;
    }

    /** Declares an option with its default (as text) and a one-line description. */
    public Cli option(String name, String defaultValue, String description) {
        declared.put(name, new String[] {defaultValue, description});
        return this;
    }

    /** Parses args; returns false (after printing help) when --help was asked for. */
    public boolean parse(List<String> args) {
        if (Flags.wantsHelp(args)) {
            System.out.println(help());
            return false;
        }
        set(Flags.parse(args));
        return true;
    }

    /**
     * Parses args like {@link #parse}, except that flags whose names {@code passThrough} accepts
     * are not this command's options: they are returned, in order, for another parser (job
     * options, Kafka client properties). Returns null (after printing help) when --help was asked for.
     */
    public Map<String, String> parseWithPassThrough(List<String> args, Predicate<String> passThrough) {
        if (Flags.wantsHelp(args)) {
            System.out.println(help());
            return null;
        }
        Map<String, String> passed = new LinkedHashMap<>();
        Map<String, String> mine = new LinkedHashMap<>();
        Flags.parse(args).forEach((name, value) -> (passThrough.test(name) ? passed : mine).put(name, value));
        set(mine);
        return passed;
    }

    /** Takes already parsed flags; each must be declared. */
    public void set(Map<String, String> flags) {
        for (Map.Entry<String, String> flag : flags.entrySet()) {
            if (!declared.containsKey(flag.getKey())) {
                throw new IllegalArgumentException("unknown option --" + flag.getKey() + "\n\n" + help());
            }
            values.put(flag.getKey(), flag.getValue());
        }
    }

    public String get(String name) {
        String[] d = declared.get(name);
        if (d == null) {
            throw new IllegalStateException("option --" + name + " was not declared");
        }
        return values.getOrDefault(name, d[0]);
    }

    public int getInt(String name) {
        try {
            return Integer.parseInt(get(name).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a whole number, got '" + get(name) + "'");
        }
    }

    public long getLong(String name) {
        try {
            return Long.parseLong(get(name).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a whole number, got '" + get(name) + "'");
        }
    }

    public double getDouble(String name) {
        try {
            return Double.parseDouble(get(name).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a number, got '" + get(name) + "'");
        }
    }

    public boolean getBoolean(String name) {
        String v = get(name).trim().toLowerCase(Locale.ROOT);
        if (v.equals("true") || v.equals("false")) {
            return v.equals("true");
        }
        throw new IllegalArgumentException("--" + name + " must be true or false, got '" + get(name) + "'");
    }

    public String help() {
        StringBuilder sb = new StringBuilder(usage).append("\n\nOptions:\n");
        List<String> names = new ArrayList<>(declared.keySet());
        for (String name : names) {
            String[] d = declared.get(name);
            sb.append(String.format("  --%-22s %s (default: %s)%n", name, d[1], d[0].isEmpty() ? "none" : d[0]));
        }
        return sb.toString();
    }
}
