package io.dinostream.config;

import java.util.Collection;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Flags an {@link OptionSet} does not parse but hands on unchanged: Kafka client properties for
 * the Kafka clients, a job's options for the job a command starts. A rule claims names; when it
 * lists the names it allows, a claimed name outside the list is refused (a typo would otherwise
 * reach a client that ignores it) with the rule's message and a suggestion. Immutable.
 */
public final class PassThrough {

    private final Predicate<String> claims;
    private final Set<String> allowed;
    private final Function<String, String> refusal;
    private final Predicate<String> secret;
    private final String helpName;
    private final String helpDescription;

    private PassThrough(Predicate<String> claims, Set<String> allowed, Function<String, String> refusal,
            Predicate<String> secret, String helpName, String helpDescription) {
        this.claims = claims;
        this.allowed = allowed;
        this.refusal = refusal;
        this.secret = secret;
        this.helpName = helpName;
        this.helpDescription = helpDescription;
    }

    /** Every flag whose name claims accepts passes, whatever it is (the receiver checks it). */
    public static PassThrough claiming(Predicate<String> claims) {
        return new PassThrough(Objects.requireNonNull(claims), null, null, name -> false, "", "");
    }

    /**
     * Flags named prefix + one of properties pass (keeping the prefix); any other name with the
     * prefix is refused with refusal's message for it (given the name without dashes).
     */
    public static PassThrough prefixed(String prefix, Collection<String> properties,
            Function<String, String> refusal) {
        Set<String> names = new TreeSet<>();
        properties.forEach(p -> names.add(prefix + p));
        return new PassThrough(name -> name.startsWith(prefix), Set.copyOf(names), Objects.requireNonNull(refusal),
                name -> false, "", "");
    }

    /** The same rule, with describe() masking the values of the names secret accepts. */
    public PassThrough secretWhen(Predicate<String> secretName) {
        return new PassThrough(claims, allowed, refusal, Objects.requireNonNull(secretName), helpName, helpDescription);
    }

    /** The same rule, listed in help as {@code --name  description}. */
    public PassThrough help(String name, String description) {
        return new PassThrough(claims, allowed, refusal, secret, name, description);
    }

    boolean claims(String name) {
        return claims.test(name);
    }

    /** Null when name passes, else why not (without a suggestion). */
    String refusalOf(String name) {
        return allowed == null || allowed.contains(name) ? null : refusal.apply(name);
    }

    /** The names this rule allows, for suggestions; empty when it allows every name it claims. */
    Set<String> allowedNames() {
        return allowed == null ? Set.of() : allowed;
    }

    boolean isSecret(String name) {
        return secret.test(name);
    }

    String helpName() {
        return helpName;
    }

    String helpDescription() {
        return helpDescription;
    }
}
