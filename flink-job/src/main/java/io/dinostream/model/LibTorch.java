package io.dinostream.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.NativeLibrary;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The libtorch DJL loaded into this JVM, as far as it can be known: its version, flavor (cpu,
 * cu128, …) and folder, whether it is a CUDA build, how many GPUs it sees, and which JNI library
 * ({@code libdjl_torch.so}) talks to it. DJL looks for libtorch first in {@code PYTORCH_LIBRARY_PATH}
 * (with {@code PYTORCH_VERSION} and {@code PYTORCH_FLAVOR} saying what it is), then in a
 * {@code pytorch-native-*} jar on the class path, unpacked under DJL's cache folder
 * ({@code <version>-<flavor>-<classifier>}); {@link #loaded()} reports which.
 *
 * @param version libtorch's version as DJL knows it (2.7.1)
 * @param flavor DJL's flavor of it: cpu, cu128, …
 * @param directory the folder libtorch was loaded from
 * @param fromLibraryPath whether that folder came from {@code PYTORCH_LIBRARY_PATH} (else from a
 *     native jar on the class path)
 * @param cudaBuild whether that libtorch was built with CUDA ({@code libtorch_cuda.so} is there)
 * @param gpuCount GPUs this libtorch can use (0 without a CUDA build, a driver or a GPU)
 * @param jniLibrary the DJL JNI library loaded, or "" where the process does not show it
 */
public record LibTorch(String version, String flavor, String directory, boolean fromLibraryPath, boolean cudaBuild,
        int gpuCount, String jniLibrary) {

    /** The symbol a JNI built with bench/djl-jni-bfloat16.patch exports: it maps DJL's BFLOAT16. */
    public static final String BFLOAT16_MARKER = "dinostream_djl_torch_maps_bfloat16";

    /** How to give DJL a libtorch that can use a GPU: the mechanism of docker/Dockerfile.gpu. */
    public static final String HOW_TO_GET_CUDA = "DJL needs a CUDA build of libtorch: set PYTORCH_LIBRARY_PATH to"
            + " the lib/ folder of PyTorch's libtorch 2.7.1+cu128 (cxx11 ABI), PYTORCH_VERSION=2.7.1 and"
            + " PYTORCH_FLAVOR=cu128, keep the pytorch-native-cpu jar off the class path, and run on a machine whose"
            + " NVIDIA driver supports CUDA 12.8 (docker/Dockerfile.gpu builds such an image; on Kubernetes the"
            + " TaskManager also needs nvidia.com/gpu, see k8s/dino-stream-gpu.yaml)";

    private static final Pattern CACHE_FOLDER = Pattern.compile("^\\d+\\.\\d+\\.\\d+(-\\d{8})?-(.+)-(linux|osx|win)-[^-]+$");

    /** The libtorch of this JVM, loading it (through DJL's engine) if it is not loaded yet. */
    public static LibTorch loaded() {
        Engine engine = Engine.getInstance();
        String directory = LibUtils.getLibtorchPath();
        String version = LibUtils.getVersion();
        boolean fromLibraryPath = namedByLibraryPath(directory);
        String flavor = fromLibraryPath ? flavorFromEnvironment() : flavorOfCacheFolder(directory);
        boolean cudaBuild = Files.exists(Path.of(directory, System.mapLibraryName("torch_cuda")));
        return new LibTorch(version, flavor, directory, fromLibraryPath, cudaBuild, engine.getGpuCount(),
                mappedLibrary("djl_torch").orElse(""));
    }

    /** One sentence: which libtorch, where from, and whether it can use a GPU. */
    public String describe() {
        return "libtorch " + version + ", flavor " + flavor + (cudaBuild ? " (a CUDA build)" : " (a CPU-only build)")
                + ", loaded from " + directory + (fromLibraryPath ? " (PYTORCH_LIBRARY_PATH)"
                        : " (unpacked from a pytorch-native jar on the class path)")
                + (jniLibrary.isEmpty() ? "" : ", JNI " + jniLibrary)
                + ", " + gpuCount + (gpuCount == 1 ? " GPU" : " GPUs") + " usable";
    }

    /**
     * Whether the loaded JNI maps DJL's BFLOAT16 to torch's bfloat16. DJL 0.36's does not: its
     * {@code GetScalarTypeFromDType} knows float32 … complex64 only and, for any other type, rethrows
     * with no exception in flight, which terminates the JVM on every device. A JNI built with
     * bench/djl-jni-bfloat16.patch maps it and exports {@link #BFLOAT16_MARKER}.
     */
    public boolean jniMapsBfloat16() {
        if (jniLibrary.isEmpty()) {
            return false;
        }
        try {
            NativeLibrary.getInstance(jniLibrary).getGlobalVariableAddress(BFLOAT16_MARKER);
            return true;
        } catch (UnsatisfiedLinkError e) {
            return false;
        }
    }

    /** The file of a loaded native library whose name contains name, from the process's memory map (Linux). */
    public static Optional<String> mappedLibrary(String name) {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) {
            return Optional.empty();
        }
        try {
            String file = System.mapLibraryName(name);
            for (String line : Files.readAllLines(maps)) {
                int slash = line.indexOf('/');
                if (slash >= 0 && line.endsWith(file)) {
                    return Optional.of(line.substring(slash));
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static boolean namedByLibraryPath(String directory) {
        String paths = System.getenv("PYTORCH_LIBRARY_PATH");
        if (paths == null) {
            return false;
        }
        Path loaded = Path.of(directory).toAbsolutePath().normalize();
        for (String p : paths.split(File.pathSeparator)) {
            if (!p.isBlank() && Path.of(p).toAbsolutePath().normalize().equals(loaded)) {
                return true;
            }
        }
        return false;
    }

    /** What DJL takes as the flavor of a PYTORCH_LIBRARY_PATH libtorch (its LibUtils.LibTorch). */
    private static String flavorFromEnvironment() {
        for (String value : List.of(String.valueOf(System.getenv("PYTORCH_FLAVOR")),
                String.valueOf(System.getProperty("PYTORCH_FLAVOR")))) {
            if (!value.equals("null")) {
                return value;
            }
        }
        return "cpu-precxx11 (DJL's default: PYTORCH_FLAVOR is not set)";
    }

    /**
     * The flavor in DJL's cache folder name, {@code <version>-<flavor>-<classifier>}, where a
     * native jar's version may carry its build date (2.7.1-20250812).
     */
    static String flavorOfCacheFolder(String directory) {
        Matcher m = CACHE_FOLDER.matcher(Path.of(directory).getFileName().toString());
        return m.matches() ? m.group(2) : "unknown";
    }
}
