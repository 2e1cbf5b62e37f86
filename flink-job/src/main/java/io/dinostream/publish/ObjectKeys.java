package io.dinostream.publish;

/**
 * Checks object keys and list prefixes once for every store, so a key that would escape a file
 * store's folder (e.g. "../x") or mean different things on S3 and on disk is refused up front.
 */
final class ObjectKeys {

    /** File-name prefix reserved for a file store's in-flight temporary files. */
    static final String TEMP_PREFIX = ".tmp-";

    private ObjectKeys() {}

    /** Returns key if it is a valid object key, else throws saying what is wrong. */
    static String checkKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("object key must not be empty");
        }
        if (key.endsWith("/")) {
            throw new IllegalArgumentException(
                    "object key '" + key + "' ends with '/': name an object, not a folder");
        }
        checkSegments(key, key, false);
        return key;
    }

    /** Returns prefix if it is a valid list prefix ("" lists all), else throws. */
    static String checkPrefix(String prefix) {
        if (prefix == null) {
            throw new IllegalArgumentException("list prefix must not be null (use \"\" for all keys)");
        }
        if (!prefix.isEmpty()) {
            checkSegments(prefix, prefix, true);
        }
        return prefix;
    }

    private static void checkSegments(String value, String what, boolean prefix) {
        if (value.startsWith("/")) {
            throw new IllegalArgumentException(
                    "key '" + what + "' starts with '/': keys are relative to the store's base");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' || Character.isISOControl(c)) {
                throw new IllegalArgumentException(
                        "key '" + what + "' contains a backslash or control character at index " + i
                                + ": use '/'-separated printable names");
            }
        }
        String[] segments = value.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            String s = segments[i];
            boolean last = i == segments.length - 1;
            if (s.isEmpty() && !(prefix && last)) {
                throw new IllegalArgumentException("key '" + what + "' has an empty segment ('//')");
            }
            if ((s.equals(".") || s.equals("..")) && !(prefix && last && s.equals("."))) {
                throw new IllegalArgumentException(
                        "key '" + what + "' has a '" + s + "' segment: keys cannot climb out of the base");
            }
            if (s.startsWith(TEMP_PREFIX)) {
                throw new IllegalArgumentException(
                        "key '" + what + "' has a segment starting with '" + TEMP_PREFIX
                                + "', which is reserved for temporary files");
            }
        }
    }
}
