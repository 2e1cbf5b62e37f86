package io.dinostream.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Command-line flags of the form {@code --name value} or {@code --name=value}, in the order given
 * (a later flag wins). A value may not start with "--", so a missing value is caught, not
 * swallowed.
 */
public final class Flags {

    private Flags() {}

    /** True when the arguments ask for help ({@code --help} or {@code -h}). */
    public static boolean wantsHelp(List<String> args) {
        return args.contains("--help") || args.contains("-h");
    }

    /** The flags by name (without dashes). */
    public static Map<String, String> parse(List<String> args) {
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "': options look like --name value");
            }
            String name = arg.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                value = args.get(++i);
            } else {
                throw new IllegalArgumentException("option --" + name + " needs a value (write --" + name
                        + "=VALUE when the value itself starts with --)");
            }
            flags.put(name, value);
        }
        return flags;
    }
}
