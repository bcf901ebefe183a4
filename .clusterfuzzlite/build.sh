#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build: the engines set CC, CXX, CFLAGS, CXXFLAGS,
# LIB_FUZZING_ENGINE, OUT and SRC. Builds the libraries with their flags, links each
# target with $LIB_FUZZING_ENGINE, and ships seeds, dictionaries and options to $OUT.
src=${SRC:-$(cd "$(dirname "$0")/.." && pwd)}/bootmap
[ -d "$src" ] || src=$(cd "$(dirname "$0")/.." && pwd)
build=${WORK:-/tmp}/bootmap-build
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DBOOTMAP_BENCH=OFF
cmake --build "$build" -j "$(nproc)" --target bootmap_fuzz_libs
for source in "$src"/fuzz/*_fuzzer.cc; do
  target=$(basename "$source" .cc)
  # Same include paths and libraries as fuzz/CMakeLists.txt, engine from the environment.
  libs=$(cat "$build/fuzz/$target.libs")
  fdp=$(dirname "$(find /usr/lib/llvm-*/lib/clang /usr/local/lib/clang -name FuzzedDataProvider.h 2>/dev/null | head -1)")
  $CXX $CXXFLAGS -std=c++20 -I"$src" -isystem "$fdp/.." "$source" -o "$OUT/$target" $libs $LIB_FUZZING_ENGINE
  [ -f "$src/fuzz/$target.dict" ] && cp "$src/fuzz/$target.dict" "$OUT/"
  [ -f "$src/fuzz/$target.options" ] && cp "$src/fuzz/$target.options" "$OUT/"
  if [ -d "$src/corpus/$target" ]; then
    (cd "$src/corpus/$target" && find . -type f ! -name README.md | zip -q -@ "$OUT/${target}_seed_corpus.zip")
  fi
done
