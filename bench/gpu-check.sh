#!/usr/bin/env bash
# The GPU check: DINO Stream's trainer on a GPU machine that has PyTorch (pip, CUDA), CMake, a C++
# compiler and nvcc, but no JDK and no network; everything else comes along in a bundle of at most
# 64 MiB made here beforehand. On the GPU machine it
#   1. compiles DJL 0.36's PyTorch JNI (with bench/djl-jni-bfloat16.patch) against that machine's torch,
#      since libtorch 2.7.1+cu128 itself is too large to bring along;
#   2. runs bench-step for ResNet-50 at 2 x 224 px + 8 x 96 px, batch 64, K 65536, in fp32 and bf16,
#      with that torch given to DJL through PYTORCH_LIBRARY_PATH (as docker/Dockerfile.gpu does);
#   3. runs check-bf16 (the bf16 step's deviation from the fp32 step, bounded);
#   4. runs the official PyTorch step (bench/official_step.py) on the same GPU, fp32 and bf16;
#   5. the same for ViT-S/16 (bench-step --backbone vit_small --patch-size 16, head without BatchNorm),
#      beside the official ViT when the bundle holds facebookresearch/dino's vision_transformer.py
#      (prepare with DINO_SOURCE set to a checkout of facebookresearch/dino);
# and prints img/s and peak GPU memory of each, or exactly where it failed.
#
#   bench/gpu-check.sh --prepare DIR   here (JDK 17 + a built flink-job/target): write the bundle to DIR
#   bench/gpu-check.sh --run [DIR]     on the GPU machine, from the bundle (DIR defaults to the script's own)
#   bench/gpu-check.sh --dry-run       here, on the CPU: prepare a bundle, check its size and inputs, build
#                                      the JNI against this machine's torch where one is installed, and run
#                                      the bundle's CPU paths (bench-step on the CPU libtorch through
#                                      PYTORCH_LIBRARY_PATH, check-bf16's refusal)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MAX_BUNDLE_BYTES=$((64 * 1024 * 1024))
DJL_VERSION=0.36.0
# the JRE's modules: what the bench commands load (checked by --dry-run, which runs on this JRE)
JRE_MODULES=java.base,java.logging,java.management,java.naming,java.xml,java.sql,java.desktop,jdk.unsupported,jdk.zipfs

log() { printf '[gpu-check %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
fail() { printf '[gpu-check] FAILED at %s\n' "$*" >&2; exit 1; }

# --- the bundle (here) --------------------------------------------------------------------------
prepare() {
  local out="$1" root target m2
  root="$(cd "$here/.." && pwd)"
  target="$root/flink-job/target"
  command -v jlink >/dev/null || fail "prepare: no jlink (a JDK 17 is needed here)"
  [ -d "$target/classes" ] && [ -d "$target/flink-lib" ] || fail "prepare: build first: mvn -B -DskipTests package"
  local djl_src="${DJL_SOURCE:-}"
  [ -n "$djl_src" ] && [ -d "$djl_src/engines/pytorch/pytorch-native" ] \
    || fail "prepare: set DJL_SOURCE to a checkout of DJL v$DJL_VERSION (git clone -b v$DJL_VERSION https://github.com/deepjavalibrary/djl)"
  rm -rf "$out" && mkdir -p "$out/lib" "$out/djl-jni"
  log "jlink: $JRE_MODULES"
  jlink --add-modules "$JRE_MODULES" --strip-debug --no-man-pages --compress=2 --output "$out/jre"
  # the job's classes and what bench-step and check-bf16 load: no Flink runtime, no pytorch-native jar,
  # no pytorch-jni jar (the JNI is built on the GPU machine)
  (cd "$target/classes" && "$JAVA_HOME_FOR_JAR"/bin/jar cf "$out/lib/dino-stream-classes.jar" .)
  cp "$target"/flink-lib/api-*.jar "$target"/flink-lib/pytorch-engine-*.jar "$target"/flink-lib/jna-*.jar \
     "$target"/flink-lib/gson-*.jar "$out/lib/"
  m2="${M2_REPO:-$HOME/.m2/repository}"
  for dep in org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar \
             org/apache/logging/log4j/log4j-slf4j2-impl/2.24.3/log4j-slf4j2-impl-2.24.3.jar \
             org/apache/logging/log4j/log4j-api/2.24.3/log4j-api-2.24.3.jar \
             org/apache/logging/log4j/log4j-core/2.24.3/log4j-core-2.24.3.jar; do
    [ -f "$m2/$dep" ] || fail "prepare: $m2/$dep is missing"
    cp "$m2/$dep" "$out/lib/"
  done
  # DJL's JNI sources at v0.36.0, with the bfloat16 patch and the JNI header javac makes here
  local native="$djl_src/engines/pytorch/pytorch-native"
  cp -r "$native/CMakeLists.txt" "$native/src" "$out/djl-jni/"
  rm -rf "$out/djl-jni/src/main/java" "$out/djl-jni/src/main/patch"
  mkdir -p "$out/djl-jni/api-native" && cp -r "$djl_src/api/src/main/native/djl" "$out/djl-jni/api-native/"
  sed -i 's|${PROJECT_SOURCE_DIR}/../../../api/src/main/native|${PROJECT_SOURCE_DIR}/api-native|' "$out/djl-jni/CMakeLists.txt"
  (cd "$out/djl-jni" && patch -p1 --quiet < "$here/djl-jni-bfloat16.patch")
  mkdir -p "$out/djl-jni/classes"
  javac -sourcepath "$djl_src/engines/pytorch/pytorch-engine/src/main/java" \
    -cp "$target/flink-lib/$(cd "$target/flink-lib" && ls api-*.jar)" \
    "$djl_src/engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java" \
    -h "$out/djl-jni/build/include" -d "$out/djl-jni/classes"
  rm -rf "$out/djl-jni/classes"
  cp "$here/official_step.py" "$here/gpu-check.sh" "$out/"
  # the official ViT for official_step.py --arch vit_small (optional: without it only our ViT step runs)
  if [ -n "${DINO_SOURCE:-}" ]; then
    [ -f "$DINO_SOURCE/vision_transformer.py" ] || fail "prepare: no vision_transformer.py in DINO_SOURCE=$DINO_SOURCE"
    cp "$DINO_SOURCE/vision_transformer.py" "$DINO_SOURCE/utils.py" "$out/"
  fi
  # for --dry-run only: DJL's own CPU JNI, to pair with the CPU libtorch
  if [ "${WITH_CPU_JNI:-0}" = 1 ]; then
    mkdir -p "$out/cpu-jni" && unzip -q -o -j "$target"/flink-lib/pytorch-jni-*.jar 'jnilib/linux-x86_64/cpu/libdjl_torch.so' -d "$out/cpu-jni"
  fi
  local bytes
  bytes=$(du -sb "$out" | cut -f1)
  log "bundle $out: $((bytes / 1024 / 1024)) MiB ($bytes bytes; limit $((MAX_BUNDLE_BYTES / 1024 / 1024)) MiB)"
  [ "$bytes" -le "$MAX_BUNDLE_BYTES" ] || fail "prepare: the bundle is $bytes bytes, over 64 MiB"
}

# --- the JNI (on the GPU machine; --dry-run: against this machine's torch) ----------------------
# Puts the built JNI where DJL looks first (its cache folder, DJL_CACHE_DIR=$bundle/djl-cache);
# returns 1, saying where, when it cannot be built.
build_jni() {
  local bundle="$1" prefix="$2" version="$3" flavor="$4" cuda="$5" build cache
  build="$bundle/jni-build"
  cache="$bundle/djl-cache"
  rm -rf "$build" && mkdir -p "$build"
  log "JNI: cmake against $prefix (torch $version, flavor $flavor, USE_CUDA=$cuda)"
  cmake -S "$bundle/djl-jni" -B "$build" -DCMAKE_PREFIX_PATH="$prefix" -DUSE_CUDA="$cuda" \
        -DJAVA_HOME="$bundle/jre" -DCMAKE_BUILD_TYPE=Release ${PT_VERSION:+-DPT_VERSION=$PT_VERSION} \
        > "$build/cmake.log" 2>&1 \
    || { tail -30 "$build/cmake.log" >&2; log "FAILED at JNI cmake configure (log: $build/cmake.log)"; return 1; }
  cmake --build "$build" -j "$(nproc)" > "$build/build.log" 2>&1 \
    || { grep -m 20 -E "error|Error" "$build/build.log" >&2 || tail -30 "$build/build.log" >&2
         log "FAILED at JNI compile (log: $build/build.log)"; return 1; }
  local symbols
  symbols=$(nm -D "$build/libdjl_torch.so")
  [[ "$symbols" == *dinostream_djl_torch_maps_bfloat16* ]] \
    || { log "FAILED at JNI: the built library lacks the bfloat16 marker (was the patch applied?)"; return 1; }
  mkdir -p "$cache/pytorch/$version-$flavor-linux-x86_64"
  cp "$build/libdjl_torch.so" "$cache/pytorch/$version-$flavor-linux-x86_64/$DJL_VERSION-libdjl_torch.so"
  log "JNI built: $cache/pytorch/$version-$flavor-linux-x86_64/$DJL_VERSION-libdjl_torch.so (maps bfloat16)"
}

# java with the bundle's JRE and class path; libtorch from PYTORCH_LIBRARY_PATH (set by the caller)
dino() {
  local bundle="$1"; shift
  "$bundle/jre/bin/java" -Dai.djl.offline=true -Xmx8g -cp "$bundle/lib/*" io.dinostream.cli.DinoStreamMain "$@"
}

# bench-step of one model in fp32 and bf16: bench_step BUNDLE NAME LOG-PREFIX OPTIONS...
bench_step() {
  local bundle=$1 name=$2 prefix=$3 precision
  shift 3
  for precision in fp32 bf16; do
    log "bench-step $name, 2x224 + 8x96, batch 64, $precision"
    dino "$bundle" bench-step "$@" --precision "$precision" 2>&1 | tee "$bundle/$prefix-$precision.log" \
      | grep -E "device|median step|peak GPU|libtorch|error|Exception" || true
    [ "${PIPESTATUS[0]}" = 0 ] || log "bench-step $name $precision FAILED (log: $bundle/$prefix-$precision.log)"
  done
}

# --- on the GPU machine ---------------------------------------------------------------------------
run_gpu() {
  local bundle="$1" torch_lib torch_version flavor prefix started
  started=$(date +%s)
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || fail "nvidia-smi: no GPU visible"
  command -v cmake >/dev/null || fail "no cmake"
  python3 -c 'import torch; assert torch.cuda.is_available(), "torch sees no GPU"' || fail "python torch with CUDA"
  torch_lib=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
  torch_version=$(python3 -c 'import torch; print(torch.__version__.split("+")[0])')
  flavor=cu$(python3 -c 'import torch; print(torch.version.cuda.replace(".", ""))')
  prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
  log "torch $torch_version ($flavor) at $torch_lib"
  build_jni "$bundle" "$prefix" "$torch_version" "$flavor" 1 || fail "the JNI build against torch $torch_version (above)"
  export PYTORCH_LIBRARY_PATH="$torch_lib" PYTORCH_VERSION="$torch_version" PYTORCH_FLAVOR="$flavor"
  export DJL_CACHE_DIR="$bundle/djl-cache"
  local common=(--backbone resnet50 --width 64 --small-stem false --batch 64 --global-size 224 --local-size 96
                --global-views 2 --local-views 8 --out-dim 65536 --image-size 256 --warmup 5 --steps 20 --threads 8
                --device gpu)
  bench_step "$bundle" ResNet-50 bench "${common[@]}"
  log "check-bf16: bf16 step against fp32 step"
  dino "$bundle" check-bf16 --backbone resnet50 --batch 32 --global-size 224 --local-size 96 2>&1 \
    | tee "$bundle/check-bf16.log" | tail -4 || true
  for precision in fp32 bf16; do
    log "official step ResNet-50, 2x224 + 8x96, batch 64, $precision"
    python3 "$bundle/official_step.py" --device cuda --arch resnet50 --batch 64 --global-size 224 \
      --local-size 96 --local-views 8 --out-dim 65536 --warmup 5 --steps 20 --precision "$precision" 2>&1 \
      | tee "$bundle/official-$precision.log" | tail -2 || true
  done
  local vit=(--backbone vit_small --patch-size 16 --head-bn false --batch 64 --global-size 224 --local-size 96
             --global-views 2 --local-views 8 --out-dim 65536 --image-size 256 --warmup 5 --steps 20 --threads 8
             --device gpu)
  bench_step "$bundle" ViT-S/16 bench-vit "${vit[@]}"
  if [ -f "$bundle/vision_transformer.py" ]; then
    for precision in fp32 bf16; do
      log "official step ViT-S/16, 2x224 + 8x96, batch 64, $precision"
      PYTHONPATH="$bundle" python3 "$bundle/official_step.py" --device cuda --arch vit_small --patch-size 16 \
        --batch 64 --global-size 224 --local-size 96 --local-views 8 --out-dim 65536 --warmup 5 --steps 20 \
        --precision "$precision" 2>&1 | tee "$bundle/official-vit-$precision.log" | tail -2 || true
    done
  else
    log "official ViT step: no vision_transformer.py in the bundle (prepare with DINO_SOURCE); not run"
  fi
  log "done in $(( $(date +%s) - started )) s"
}

# --- here, on the CPU -----------------------------------------------------------------------------
dry_run() {
  local bundle libtorch prefix
  bundle="${GPU_CHECK_BUNDLE:-$(mktemp -d)/gpu-check-bundle}"
  log "dry run: bundle in $bundle"
  WITH_CPU_JNI=1 prepare "$bundle"
  for f in jre/bin/java lib/dino-stream-classes.jar djl-jni/CMakeLists.txt \
           djl-jni/build/include/ai_djl_pytorch_jni_PyTorchLibrary.h djl-jni/api-native/djl/utils.h official_step.py; do
    [ -e "$bundle/$f" ] || fail "dry run: $f missing from the bundle"
  done
  grep -q "case 11:" "$bundle/djl-jni/src/main/native/djl_pytorch_utils.h" || fail "dry run: the patch is not in the JNI source"
  ! ls "$bundle/lib" | grep -q pytorch-native || fail "dry run: a pytorch-native jar in the bundle"
  # The JNI against this machine's torch, where there is one (Debian: libtorch-dev); a compile check
  # of the sources, the patch and the header (that torch is not the one bench-step runs on here).
  prefix=""
  if python3 -c 'import torch' 2>/dev/null; then
    prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
  elif [ -f /usr/lib/x86_64-linux-gnu/cmake/Torch/TorchConfig.cmake ]; then
    prefix=/usr/lib/x86_64-linux-gnu/cmake
  fi
  if [ -n "$prefix" ]; then
    local tv
    tv=$(sed -n 's/.*PACKAGE_VERSION "\([0-9.]*\)".*/\1/p' "$prefix/Torch/TorchConfigVersion.cmake" 2>/dev/null | head -1)
    case "$tv" in 1.13*|2.0*|2.1*) export PT_VERSION=V1_13_X ;; esac
    if build_jni "$bundle" "$prefix" "${tv:-unknown}" cpu 0; then
      # the GPU machine's mechanism on this CPU: DJL on this torch through PYTORCH_LIBRARY_PATH, with the
      # JNI just built (found in DJL's cache by version and flavor), which maps bfloat16
      local own="$bundle/own-torch" lib
      lib=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null \
            || echo /usr/lib/x86_64-linux-gnu)
      mkdir -p "$own"
      for so in libtorch.so libtorch_cpu.so libc10.so; do ln -sf "$lib/$so" "$own/$so"; done
      log "bench-step on this machine's torch $tv with the JNI built above"
      PYTORCH_LIBRARY_PATH="$own" PYTORCH_VERSION="$tv" PYTORCH_FLAVOR=cpu DJL_CACHE_DIR="$bundle/djl-cache" \
        dino "$bundle" bench-step --backbone resnet10 --width 8 --out-dim 256 --hidden-dim 64 --bottleneck-dim 32 \
        --batch 8 --global-size 32 --local-size 16 --warmup 1 --steps 3 --threads 1 --device cpu \
        | grep -E "^libtorch|median" || log "bench-step on this machine's torch FAILED"
    else
      log "the JNI did not build against this machine's torch (above)"
    fi
  else
    log "no torch with CMake files on this machine: the JNI build runs on the GPU machine only"
  fi
  # bench-step on the bundle's JRE and class path, libtorch 2.7.1 (CPU) from the Maven jar through
  # PYTORCH_LIBRARY_PATH, DJL's own CPU JNI in a fresh cache
  libtorch="$bundle/cpu-libtorch"
  mkdir -p "$libtorch" "$bundle/dry-cache/pytorch/2.7.1-cpu-linux-x86_64"
  unzip -q -o -j "$(ls "$here"/../flink-job/target/flink-lib/pytorch-native-cpu-*.jar)" 'pytorch/cpu/linux-x86_64/*' -d "$libtorch"
  cp "$bundle/cpu-jni/libdjl_torch.so" "$bundle/dry-cache/pytorch/2.7.1-cpu-linux-x86_64/$DJL_VERSION-libdjl_torch.so"
  export PYTORCH_LIBRARY_PATH="$libtorch" PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cpu DJL_CACHE_DIR="$bundle/dry-cache"
  log "bench-step on the CPU (tiny model), libtorch from PYTORCH_LIBRARY_PATH=$libtorch"
  dino "$bundle" bench-step --backbone resnet10 --width 8 --out-dim 256 --hidden-dim 64 --bottleneck-dim 32 \
    --batch 8 --global-size 32 --local-size 16 --warmup 1 --steps 3 --threads 1 --device auto --precision fp32 \
    | grep -E "libtorch|device|median|loaded from" || fail "dry run: bench-step on the CPU"
  log "bench-step --device gpu on the CPU: must fail at start, naming the libtorch"
  if dino "$bundle" bench-step --device gpu --steps 1 --warmup 0 > "$bundle/gpu-refused.log" 2>&1; then
    fail "dry run: --device gpu ran on a machine without a GPU"
  fi
  grep -m1 -o "device gpu:0 was asked for.*PYTORCH_LIBRARY_PATH)" "$bundle/gpu-refused.log" \
    || fail "dry run: --device gpu failed without naming the libtorch (log: $bundle/gpu-refused.log)"
  log "check-bf16 on the CPU: must refuse (exit 2)"
  set +e
  dino "$bundle" check-bf16 --device cpu --steps 1 > "$bundle/bf16-refused.log" 2>&1
  local rc=$?
  set -e
  [ "$rc" = 2 ] || { cat "$bundle/bf16-refused.log" >&2; fail "dry run: check-bf16 on the CPU exited $rc, not 2"; }
  grep -m1 -o "error: --train.precision bf16 runs on a GPU only[^:]*" "$bundle/bf16-refused.log"
  if python3 -c 'import torch' 2>/dev/null; then
    python3 "$bundle/official_step.py" --device cpu --steps 2 --warmup 1 | tail -1
  else
    log "official_step.py: no python torch here; it runs on the GPU machine"
  fi
  log "dry run passed: nothing ran on a GPU"
}

case "${1:-}" in
  --prepare) JAVA_HOME_FOR_JAR="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}" prepare "${2:?--prepare DIR}" ;;
  --run) run_gpu "${2:-$here}" ;;
  --dry-run) JAVA_HOME_FOR_JAR="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}" dry_run ;;
  *) sed -n '2,21p' "${BASH_SOURCE[0]}"; exit 2 ;;
esac
