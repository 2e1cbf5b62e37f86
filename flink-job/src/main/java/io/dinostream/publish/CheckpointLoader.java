package io.dinostream.publish;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.dinostream.augment.CropSettings;
import io.dinostream.model.ModelSettings;
import io.dinostream.model.ModelSpec;
import io.dinostream.model.ParameterFactory;
import io.dinostream.model.Backbone;
import io.dinostream.model.Safetensors;
import io.dinostream.model.Tensors;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Loads the teacher backbone of a checkpoint written by {@link CheckpointPublisher}: follows
 * {@code latest.json} (or takes a step's folder {@code step-%012d/}), reads its {@code
 * manifest.json}, then {@code teacher.safetensors}, whose size and sha256 must equal the
 * manifest's before any byte of it is parsed, rebuilds the backbone from the manifest's {@code
 * model.*} options and copies every {@code backbone.*} tensor into it, checking names, shapes and
 * dtypes (strictly, as torch's {@code load_state_dict}: nothing missing, nothing unexpected).
 *
 * <p>Only the backbone is built: the head is not needed to embed images and, at the paper's K =
 * 65536, would cost tens of millions of random initial values for nothing.
 */
public final class CheckpointLoader {

    /** The file whose backbone is loaded. */
    public static final String TEACHER = "teacher.safetensors";

    private static final String MANIFEST = Manifest.FILE;
    private static final String BACKBONE_PREFIX = "backbone.";

    /** The manifest config keys the backbone and its input size are rebuilt from. */
    private static final List<String> MODEL_KEYS = List.of(
            "model.backbone", "model.width", "model.small-stem", "model.out-dim", "model.hidden-dim",
            "model.bottleneck-dim", "model.head-bn", "model.norm-last-layer", "crops.global-size");
    /** Model keys that manifests written before ViTs lack: their defaults then hold. */
    private static final List<String> OPTIONAL_MODEL_KEYS = List.of("model.patch-size", "model.drop-path");

    private CheckpointLoader() {}

    /** {@link #load(ObjectStore, String, Device)} on the engine's default device (a GPU when present). */
    public static LoadedCheckpoint load(ObjectStore store, String stepOrLatest) throws IOException {
        return load(store, stepOrLatest, Engine.getInstance().defaultDevice());
    }

    /**
     * Loads a checkpoint's teacher backbone onto device.
     *
     * @param stepOrLatest "latest" (or blank) to follow latest.json, else a step number
     * @throws IllegalArgumentException when stepOrLatest is neither
     * @throws CorruptCheckpointException when a file differs from the manifest, the manifest or
     *     latest.json contradict themselves, or the tensors do not fit the described model
     * @throws IOException when latest.json, the manifest or the teacher file is missing or cannot be
     *     read; the message names the location
     */
    public static LoadedCheckpoint load(ObjectStore store, String stepOrLatest, Device device) throws IOException {
        long step = resolveStep(store, stepOrLatest);
        String folder = CheckpointPublisher.folder(step);
        String where = store.location() + "/" + folder;

        Manifest manifest = readManifest(store, folder, step);
        Manifest.FileEntry expected = manifest.files().get(TEACHER);
        if (expected == null) {
            throw new CorruptCheckpointException(where + MANIFEST + " lists no " + TEACHER);
        }
        byte[] teacher = store.get(folder + TEACHER).orElseThrow(() -> new IOException(
                "no " + TEACHER + " at " + where + TEACHER + ", though the manifest lists it: the checkpoint is"
                        + " incomplete (deleted or not fully copied)"));
        verify(teacher, expected, where + TEACHER);

        ModelSpec spec;
        int globalSize;
        try {
            Map<String, String> config = modelSettings(manifest, where);
            globalSize = CropSettings.fromStored(config).policy().globalSize();
            spec = ModelSettings.fromStored(config).forImageSize(globalSize).spec();
        } catch (IllegalArgumentException e) {
            throw new CorruptCheckpointException(
                    "the config in " + where + MANIFEST + " does not describe a model: " + e.getMessage(), e);
        }
        if (spec.backbone().startsWith("identity:")) {
            throw new IllegalArgumentException("the checkpoint at " + where + " has backbone " + spec.backbone()
                    + ", which takes precomputed features, not images: there is no backbone to load");
        }
        NDManager manager = NDManager.newBaseManager(device, "PyTorch");
        try {
            Backbone backbone = backbone(teacher, spec, manager, where + TEACHER);
            return new LoadedCheckpoint(step, where, manifest, spec, globalSize, backbone, manager);
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * The backbone of spec with the {@code backbone.*} tensors of a teacher or student safetensors
     * file, checked strictly; its tensors live on manager.
     *
     * @param what names the file in error messages
     * @throws CorruptCheckpointException when the bytes are not safetensors or do not hold this
     *     backbone
     */
    public static Backbone backbone(byte[] safetensors, ModelSpec spec, NDManager manager, String what)
            throws CorruptCheckpointException {
        Map<String, Safetensors.Tensor> tensors;
        try {
            tensors = Safetensors.read(safetensors);
        } catch (IllegalArgumentException e) {
            throw new CorruptCheckpointException(what + " is not a valid safetensors file: " + e.getMessage(), e);
        }
        Backbone backbone = spec.buildBackbone(new ParameterFactory(manager, DataType.FLOAT32, 0));
        copyBackbone(backbone, tensors, manager, what, spec);
        return backbone;
    }

    /** The step named by stepOrLatest: a number, or latest.json's step. */
    private static long resolveStep(ObjectStore store, String stepOrLatest) throws IOException {
        String s = stepOrLatest == null ? "" : stepOrLatest.trim();
        if (!s.isEmpty() && !s.toLowerCase(Locale.ROOT).equals("latest")) {
            try {
                long step = Long.parseLong(s);
                if (step < 0) {
                    throw new NumberFormatException();
                }
                return step;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "step must be 'latest' or a step number (0, 1, 2, ...), got '" + stepOrLatest + "'");
            }
        }
        return Latest.read(store).orElseThrow(() -> new IOException(
                "no " + Latest.FILE + " at " + store.location() + "/" + Latest.FILE + ": nothing has been published"
                        + " to " + store.location() + " yet, or the checkpoint location is wrong")).step();
    }

    private static Manifest readManifest(ObjectStore store, String folder, long step) throws IOException {
        String where = store.location() + "/" + folder + MANIFEST;
        Optional<byte[]> bytes = store.get(folder + MANIFEST);
        if (bytes.isEmpty()) {
            throw new IOException("no checkpoint at step " + step + ": " + where + " does not exist"
                    + availableSteps(store));
        }
        Manifest manifest = Manifest.parse(bytes.get(), where);
        long recorded = manifest.step();
        if (recorded != step) {
            throw new CorruptCheckpointException(where + " is for step " + recorded + ", not " + step
                    + ": the checkpoint folder was moved or tampered with");
        }
        return manifest;
    }

    /** ", published steps: 4, 8" from the store's manifests, or a hint when there are none. */
    private static String availableSteps(ObjectStore store) {
        try {
            List<String> steps = new ArrayList<>();
            for (String key : store.list("step-")) {
                if (key.endsWith("/" + MANIFEST)) {
                    steps.add(Long.toString(Long.parseLong(key.substring("step-".length(), key.indexOf('/')))));
                }
            }
            return steps.isEmpty()
                    ? " (no checkpoint has been published to " + store.location() + ")"
                    : " (published steps: " + String.join(", ", steps) + ")";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** Refuses data whose size or sha256 is not the manifest's. */
    static void verify(byte[] data, Manifest.FileEntry expected, String what) throws CorruptCheckpointException {
        long expectedSize = expected.size();
        String expectedSha = expected.sha256().toLowerCase(Locale.ROOT);
        String actualSha = CheckpointPublisher.sha256(data);
        if (data.length != expectedSize) {
            throw new CorruptCheckpointException("size mismatch for " + what + ": the manifest says "
                    + expectedSize + " bytes, the file has " + data.length + " (sha256 expected " + expectedSha
                    + ", actual " + actualSha + "): the checkpoint is corrupt or tampered with (truncated?);"
                    + " refusing to load it");
        }
        if (!expectedSha.equals(actualSha)) {
            throw new CorruptCheckpointException("sha256 mismatch for " + what + ": expected " + expectedSha
                    + ", actual " + actualSha + ": the checkpoint is corrupt or tampered with; refusing to load it");
        }
    }

    /** The manifest config's model options (nothing else, so no secret and no unknown key). */
    private static Map<String, String> modelSettings(Manifest manifest, String where)
            throws CorruptCheckpointException {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String key : MODEL_KEYS) {
            String value = manifest.config().get(key);
            if (value == null) {
                throw new CorruptCheckpointException(
                        "the config in " + where + MANIFEST + " has no " + key + ": cannot rebuild the model");
            }
            settings.put(key, value);
        }
        for (String key : OPTIONAL_MODEL_KEYS) {
            String value = manifest.config().get(key);
            if (value != null) {
                settings.put(key, value);
            }
        }
        return settings;
    }

    /** Copies file tensors backbone.* into the backbone, strictly. */
    private static void copyBackbone(Backbone backbone, Map<String, Safetensors.Tensor> tensors, NDManager owner,
            String what, ModelSpec spec) throws CorruptCheckpointException {
        Map<String, NDArray> target = backbone.stateDict();
        List<String> unexpected = new ArrayList<>();
        for (String name : tensors.keySet()) {
            if (name.startsWith(BACKBONE_PREFIX) && !target.containsKey(name.substring(BACKBONE_PREFIX.length()))) {
                unexpected.add(name);
            }
        }
        List<String> missing = new ArrayList<>();
        for (String name : target.keySet()) {
            if (!tensors.containsKey(BACKBONE_PREFIX + name)) {
                missing.add(BACKBONE_PREFIX + name);
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new CorruptCheckpointException(what + " does not hold the backbone of " + spec
                    + (missing.isEmpty() ? "" : "; missing: " + abbreviate(missing))
                    + (unexpected.isEmpty() ? "" : "; unexpected: " + abbreviate(unexpected)));
        }
        try (NDManager scratch = owner.newSubManager()) {
            for (Map.Entry<String, NDArray> e : target.entrySet()) {
                String name = BACKBONE_PREFIX + e.getKey();
                Safetensors.Tensor t = tensors.get(name);
                NDArray dst = e.getValue();
                String dtype = Safetensors.dtypeName(dst.getDataType());
                if (!dtype.equals(t.dtype())) {
                    throw new CorruptCheckpointException(what + ": " + name + " is " + t.dtype() + ", the model needs "
                            + dtype);
                }
                if (!Arrays.equals(dst.getShape().getShape(), t.shape())) {
                    throw new CorruptCheckpointException(what + ": " + name + " has shape "
                            + Arrays.toString(t.shape()) + ", the model of " + spec + " needs "
                            + Arrays.toString(dst.getShape().getShape()));
                }
                long bytes = dst.getShape().size() * dst.getDataType().getNumOfBytes();
                if (t.data().length != bytes) {
                    throw new CorruptCheckpointException(what + ": " + name + " holds " + t.data().length
                            + " bytes, its shape needs " + bytes);
                }
                Tensors.assign(dst, Safetensors.toArray(t, scratch));
            }
        }
    }

    private static String abbreviate(List<String> names) {
        return names.size() <= 5
                ? String.join(", ", names)
                : String.join(", ", names.subList(0, 5)) + " and " + (names.size() - 5) + " more";
    }
}
