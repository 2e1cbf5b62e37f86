package io.dinostream.publish;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.dinostream.types.ModelSnapshot;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A checkpoint's {@code manifest.json}: what produced the models beside it (step, time, images
 * seen, whether it is the run's last, code version, the job's config with secrets masked, training
 * metrics, the Kafka offsets trained on, the probe monitor's evaluation) and the sha256 and size of
 * each file, so any checkpoint can be explained, reproduced and verified (Tribuo's provenance).
 * This class is the only one that writes ({@link #toJson}) or reads ({@link #parse}) the file.
 *
 * <p>The JSON keys are part of the interface (users' scripts read them): {@code format},
 * {@code step}, {@code created_at}, {@code images_seen}, {@code final}, {@code code_version},
 * {@code config}, {@code metrics}, {@code evaluation} (only when there is one),
 * {@code kafka_offsets}, {@code files} ({@code {name: {sha256, size}}}). {@code format} is
 * {@value #FORMAT}; a manifest without it is read as version 1.
 *
 * @param evaluation the probe monitor's scores; empty when the snapshot was not scored
 * @param files sha256 and size of every file of the checkpoint, by file name
 */
public record Manifest(
        long step,
        Instant createdAt,
        long imagesSeen,
        boolean isFinal,
        String codeVersion,
        Map<String, String> config,
        Map<String, Double> metrics,
        Map<String, Long> kafkaOffsets,
        Map<String, Double> evaluation,
        Map<String, FileEntry> files) {

    /** The manifest's file name in a checkpoint folder. */
    public static final String FILE = "manifest.json";

    /** The layout version this build writes, and the newest it reads. */
    public static final int VERSION = 1;

    /** The {@code format} value this build writes. */
    public static final String FORMAT = "dino-stream-checkpoint/" + VERSION;

    private static final String FORMAT_PREFIX = "dino-stream-checkpoint/";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    /** The size and lowercase-hex sha256 of one file of the checkpoint. */
    public record FileEntry(String sha256, long size) {

        /** The entry of these bytes. */
        public static FileEntry of(byte[] data) {
            return new FileEntry(CheckpointPublisher.sha256(data), data.length);
        }

        /** True when data is exactly the file this entry describes. */
        public boolean matches(byte[] data) {
            return data.length == size && sha256.equalsIgnoreCase(CheckpointPublisher.sha256(data));
        }
    }

    /** Maps are copied; config, metrics, offsets and evaluation are kept sorted by key. */
    public Manifest {
        if (step < 0) {
            throw new IllegalArgumentException("a manifest's step cannot be negative, got " + step);
        }
        if (createdAt == null || codeVersion == null) {
            throw new IllegalArgumentException("a manifest needs its creation time and code version");
        }
        config = sorted(config);
        metrics = sorted(metrics);
        kafkaOffsets = sorted(kafkaOffsets);
        evaluation = sorted(evaluation);
        files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
    }

    /** The manifest of a snapshot whose files have these entries, written by this build. */
    public static Manifest of(ModelSnapshot snapshot, Map<String, String> config, Map<String, FileEntry> files) {
        return new Manifest(snapshot.step(), Instant.ofEpochMilli(snapshot.createdAtMillis()), snapshot.imagesSeen(),
                snapshot.isFinal(), CheckpointPublisher.codeVersion(), config, snapshot.metrics(),
                snapshot.kafkaOffsets(), snapshot.evaluation(), files);
    }

    /** The manifest as the UTF-8 JSON written to {@code manifest.json}, keys in a fixed order. */
    public byte[] toJson() {
        JsonObject json = new JsonObject();
        json.addProperty("format", FORMAT);
        json.addProperty("step", step);
        json.addProperty("created_at", createdAt.toString());
        json.addProperty("images_seen", imagesSeen);
        json.addProperty("final", isFinal);
        json.addProperty("code_version", codeVersion);
        json.add("config", GSON.toJsonTree(config));
        json.add("metrics", GSON.toJsonTree(metrics));
        if (!evaluation.isEmpty()) {
            json.add("evaluation", GSON.toJsonTree(evaluation));
        }
        json.add("kafka_offsets", GSON.toJsonTree(kafkaOffsets));
        JsonObject fileJson = new JsonObject();
        files.forEach((name, entry) -> {
            JsonObject e = new JsonObject();
            e.addProperty("sha256", entry.sha256());
            e.addProperty("size", entry.size());
            fileJson.add(name, e);
        });
        json.add("files", fileJson);
        return GSON.toJson(json).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads a manifest.json written by any version of DINO Stream up to this one.
     *
     * @param where names the file in error messages (its location, without credentials)
     * @throws CorruptCheckpointException when it is not JSON, lacks a field every manifest has, or
     *     has a format this build does not read (the message says which and what to do)
     */
    public static Manifest parse(byte[] bytes, String where) throws CorruptCheckpointException {
        JsonObject json = jsonObject(bytes, where);
        checkFormat(json, where);
        try {
            return new Manifest(
                    required(json, "step", where).getAsLong(),
                    createdAt(required(json, "created_at", where), where),
                    required(json, "images_seen", where).getAsLong(),
                    json.has("final") && json.get("final").getAsBoolean(),
                    json.has("code_version") ? json.get("code_version").getAsString() : "unknown",
                    map(json, "config", where, JsonElement::getAsString),
                    map(json, "metrics", where, JsonElement::getAsDouble),
                    map(json, "kafka_offsets", where, JsonElement::getAsLong),
                    map(json, "evaluation", where, JsonElement::getAsDouble),
                    files(required(json, "files", where), where));
        } catch (IllegalStateException | UnsupportedOperationException | NumberFormatException e) {
            // Gson's getAs* on a value of the wrong kind
            throw new CorruptCheckpointException(where + " has a field of the wrong type: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new CorruptCheckpointException(where + ": " + e.getMessage(), e);
        }
    }

    /** Accepts this build's format and manifests written before there was one; refuses the rest. */
    /** A checkpoint file's JSON object; anything else is refused, naming the file (where). */
    static JsonObject jsonObject(byte[] bytes, String where) throws CorruptCheckpointException {
        try {
            JsonElement parsed = JsonParser.parseString(new String(bytes, StandardCharsets.UTF_8));
            if (!parsed.isJsonObject()) {
                throw new JsonParseException("not a JSON object");
            }
            return parsed.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new CorruptCheckpointException(where + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static void checkFormat(JsonObject json, String where) throws CorruptCheckpointException {
        if (!json.has("format")) {
            return; // written before manifests named their format: version 1
        }
        String format = json.get("format").isJsonPrimitive() ? json.get("format").getAsString() : "?";
        if (format.equals(FORMAT)) {
            return;
        }
        if (format.startsWith(FORMAT_PREFIX)) {
            throw new CorruptCheckpointException(where + " has format " + format + ", written by a newer DINO Stream;"
                    + " this build reads " + FORMAT + " and older: load it with the version that published it"
                    + " (its code_version) or newer");
        }
        throw new CorruptCheckpointException(where + " has format '" + format + "', which is not a DINO Stream"
                + " checkpoint manifest (" + FORMAT + ")");
    }

    private static JsonElement required(JsonObject json, String key, String where) throws CorruptCheckpointException {
        JsonElement value = json.get(key);
        if (value == null || value.isJsonNull()) {
            throw new CorruptCheckpointException(where + " has no " + key + ": it is not a complete checkpoint manifest");
        }
        return value;
    }

    private static Instant createdAt(JsonElement value, String where) throws CorruptCheckpointException {
        try {
            return Instant.parse(value.getAsString());
        } catch (DateTimeParseException e) {
            throw new CorruptCheckpointException(where + " has created_at '" + value.getAsString()
                    + "', not an ISO-8601 instant", e);
        }
    }

    /** An optional object of primitives; empty when absent. */
    private static <V> Map<String, V> map(JsonObject json, String key, String where, Function<JsonElement, V> value)
            throws CorruptCheckpointException {
        JsonElement element = json.get(key);
        if (element == null || element.isJsonNull()) {
            return Map.of();
        }
        if (!element.isJsonObject()) {
            throw new CorruptCheckpointException(where + ": " + key + " is not a JSON object");
        }
        Map<String, V> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : element.getAsJsonObject().entrySet()) {
            if (!e.getValue().isJsonPrimitive()) {
                throw new CorruptCheckpointException(where + ": " + key + "." + e.getKey() + " is not a plain value");
            }
            out.put(e.getKey(), value.apply(e.getValue()));
        }
        return out;
    }

    private static Map<String, FileEntry> files(JsonElement element, String where) throws CorruptCheckpointException {
        if (!element.isJsonObject()) {
            throw new CorruptCheckpointException(where + ": files is not a JSON object");
        }
        Map<String, FileEntry> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : element.getAsJsonObject().entrySet()) {
            JsonObject entry = e.getValue().isJsonObject() ? e.getValue().getAsJsonObject() : new JsonObject();
            if (!entry.has("sha256") || !entry.has("size")) {
                throw new CorruptCheckpointException(where + " gives no sha256 and size for " + e.getKey());
            }
            out.put(e.getKey(), new FileEntry(entry.get("sha256").getAsString().toLowerCase(Locale.ROOT),
                    entry.get("size").getAsLong()));
        }
        return out;
    }

    private static <V> Map<String, V> sorted(Map<String, V> map) {
        return Collections.unmodifiableMap(new TreeMap<>(map));
    }
}
