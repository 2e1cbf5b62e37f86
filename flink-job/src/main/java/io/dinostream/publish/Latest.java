package io.dinostream.publish;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * The store's {@code latest.json}: the pointer to the newest complete checkpoint, which
 * {@link CheckpointPublisher} writes after every file of that checkpoint and never moves back to
 * an older step. This class is the only one that writes ({@link #toJson}) or reads ({@link #parse},
 * {@link #read}) the file.
 *
 * <p>The JSON keys are part of the interface (users' scripts read them): {@code step},
 * {@code folder} ({@code step-%012d/}), {@code manifest} (the folder's {@code manifest.json}) and
 * {@code published_at}. The folder and manifest follow from the step, so a file whose folder or
 * manifest names another place was not written by the publisher and is refused.
 *
 * @param publishedAt when the publisher wrote the pointer; empty when the file does not say
 */
public record Latest(long step, Optional<Instant> publishedAt) {

    /** The pointer's key at the top of the store. */
    public static final String FILE = "latest.json";

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    public Latest {
        if (step < 0) {
            throw new IllegalArgumentException("latest.json cannot name a negative step, got " + step);
        }
        if (publishedAt == null) {
            throw new IllegalArgumentException("publishedAt is empty when unknown, never null");
        }
    }

    /** The pointer to the checkpoint of step, published at that time. */
    public static Latest of(long step, Instant publishedAt) {
        return new Latest(step, Optional.of(publishedAt));
    }

    /** The checkpoint folder named: {@code step-000000000123/}. */
    public String folder() {
        return CheckpointPublisher.folder(step);
    }

    /** The key of the checkpoint's manifest: {@code step-000000000123/manifest.json}. */
    public String manifest() {
        return folder() + Manifest.FILE;
    }

    /** The pointer as the UTF-8 JSON written to {@code latest.json}, keys in a fixed order. */
    public byte[] toJson() {
        JsonObject json = new JsonObject();
        json.addProperty("step", step);
        json.addProperty("folder", folder());
        json.addProperty("manifest", manifest());
        publishedAt.ifPresent(at -> json.addProperty("published_at", at.toString()));
        return GSON.toJson(json).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The store's pointer; empty when nothing has been published there yet.
     *
     * @throws CorruptCheckpointException when the file is there but {@link #parse} refuses it
     * @throws IOException when the store cannot be read
     */
    public static Optional<Latest> read(ObjectStore store) throws IOException {
        Optional<byte[]> bytes = store.get(FILE);
        return bytes.isEmpty() ? Optional.empty() : Optional.of(parse(bytes.get(), store.location() + "/" + FILE));
    }

    /**
     * Reads a latest.json written by any version of DINO Stream, or by hand with at least a step.
     *
     * @param where names the file in error messages (its location, without credentials)
     * @throws CorruptCheckpointException when it is not a JSON object, has no step, a step that is
     *     not a whole number of 0 or more, a folder or manifest other than the step's, or a
     *     published_at that is not an instant (the message says which)
     */
    public static Latest parse(byte[] bytes, String where) throws CorruptCheckpointException {
        JsonObject json = Manifest.jsonObject(bytes, where);
        long step = step(json, where);
        String folder = CheckpointPublisher.folder(step);
        checkNames(json, "folder", folder, step, where);
        checkNames(json, "manifest", folder + Manifest.FILE, step, where);
        return new Latest(step, publishedAt(json, where));
    }

    private static long step(JsonObject json, String where) throws CorruptCheckpointException {
        JsonElement value = present(json, "step");
        if (value == null) {
            throw new CorruptCheckpointException(where + " has no step: it does not name a checkpoint");
        }
        try {
            if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isNumber()) {
                long step = new BigDecimal(value.getAsString()).longValueExact(); // refuses 2.5 and overflow
                if (step >= 0) {
                    return step;
                }
            }
        } catch (ArithmeticException | NumberFormatException e) {
            // refused below
        }
        throw new CorruptCheckpointException(where + " has step " + value + ", not a whole number of 0 or more");
    }

    /** Refuses a folder or manifest that is there but not the step's: the loader must not go elsewhere. */
    private static void checkNames(JsonObject json, String key, String expected, long step, String where)
            throws CorruptCheckpointException {
        JsonElement value = present(json, key);
        if (value == null) {
            return; // written by hand with only a step: the step says where
        }
        String named = isString(value) ? value.getAsString() : value.toString();
        if (!named.equals(expected)) {
            throw new CorruptCheckpointException(where + " names step " + step + " but " + key + " '" + named
                    + "' (expected '" + expected + "'): it was not written by the publisher, refusing to follow it");
        }
    }

    private static Optional<Instant> publishedAt(JsonObject json, String where) throws CorruptCheckpointException {
        JsonElement value = present(json, "published_at");
        if (value == null) {
            return Optional.empty();
        }
        try {
            if (isString(value)) {
                return Optional.of(Instant.parse(value.getAsString()));
            }
        } catch (DateTimeParseException e) {
            // refused below
        }
        throw new CorruptCheckpointException(where + " has published_at " + value + ", not an ISO-8601 instant"
                + " such as \"2024-05-01T12:00:00Z\"");
    }

    /** The value of key, or null when it is absent or JSON null. */
    private static JsonElement present(JsonObject json, String key) {
        JsonElement value = json.get(key);
        return value == null || value.isJsonNull() ? null : value;
    }

    private static boolean isString(JsonElement value) {
        return value.isJsonPrimitive() && ((JsonPrimitive) value).isString();
    }
}
