package io.dinostream.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an {@link OptionSet} parsed: every declared option's value (given or default), its text,
 * and the flags passed through. Immutable. Settings records are built from it.
 */
public final class OptionValues {

    private static final String MASK = "***";

    private final Map<String, Option<?>> options;
    private final Map<String, String> texts;
    private final Map<String, Object> values;
    private final Map<String, String> passedThrough;
    private final List<PassThrough> rules;

    OptionValues(Map<String, Option<?>> options, Map<String, String> texts, Map<String, Object> values,
            Map<String, String> passedThrough, List<PassThrough> rules) {
        this.options = options;
        this.texts = Collections.unmodifiableMap(new LinkedHashMap<>(texts));
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.passedThrough = Collections.unmodifiableMap(new LinkedHashMap<>(passedThrough));
        this.rules = rules;
    }

    /** The option's value. */
    @SuppressWarnings("unchecked")
    public <T> T get(Option<T> option) {
        return (T) values.get(declared(option));
    }

    /** The option's text as given (trimmed), or its default. */
    public String text(Option<?> option) {
        return texts.get(declared(option));
    }

    /** The flags passed through, by full name (a Kafka property keeps its kafka. prefix), in order. */
    public Map<String, String> passedThrough() {
        return passedThrough;
    }

    /** Every option's text, then the flags passed through: parsing this again gives the same values. */
    public Map<String, String> texts() {
        Map<String, String> all = new LinkedHashMap<>(texts);
        all.putAll(passedThrough);
        return all;
    }

    /**
     * Every option's text and every flag passed through, secrets shown as *** (an unset secret
     * stays empty), for manifests and logs.
     */
    public Map<String, String> describe() {
        Map<String, String> out = new LinkedHashMap<>();
        texts.forEach((name, text) -> out.put(name, options.get(name).isSecret() && !text.isEmpty() ? MASK : text));
        passedThrough.forEach((name, text) -> out.put(name, isSecretPassThrough(name) ? MASK : text));
        return out;
    }

    private boolean isSecretPassThrough(String name) {
        for (PassThrough rule : rules) {
            if (rule.claims(name)) {
                return rule.isSecret(name);
            }
        }
        return false;
    }

    private String declared(Option<?> option) {
        if (options.get(option.name()) == null) {
            throw new IllegalStateException("option " + option + " was not declared");
        }
        return option.name();
    }

    @Override
    public String toString() {
        return describe().toString();
    }
}
