#!/usr/bin/env bash
# Builds, on this (GPU-less) development machine, the binaries that
# scripts/gpu-check.sh runs on a lent GPU machine, and puts them in
# gpu-bundle/ (git-ignored; carry it with the device tool: carry ["gpu-bundle"]).
#
# The GPU image has the CUDA toolkit, cuDNN and NCCL (inside PyTorch's Python
# environment) but none of Debian's packages: libstdc++ and libgcc are linked
# in statically, and OpenBLAS (with libgfortran and libquadmath) and oneDNN
# (with libgomp and the OpenCL loader it links) travel as shared libraries in
# gpu-bundle/lib, once for all the binaries. The CUDA
# libraries (cuBLAS 13, cuDNN 9, NCCL 2) are found there by gpu-check.sh.
# The whole bundle is also packed as gpu-bundle.tar.xz (the device tool
# carries at most 64 MiB).
#
#   scripts/gpu-bundle.sh            # build into build-gpu/, then gpu-bundle/ and gpu-bundle.tar.xz
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-gpu
bundle=gpu-bundle
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -ULPM_OPENBLAS_LIBRARY \
    -DLPM_WITH_CUDA=ON -DLPM_WITH_GUI=OFF -DLPM_WITH_MPI=OFF \
    -DCMAKE_EXE_LINKER_FLAGS="-static-libstdc++ -static-libgcc" >/dev/null
targets=(lpm test_cuda_backend test_backend_check test_off_host_training)
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

rm -rf "$bundle"
mkdir -p "$bundle/bin"
cp "$build/app/lpm" "$bundle/bin/"
for test in "${targets[@]:1}"; do cp "$build/tests/$test" "$bundle/bin/"; done
strip "$bundle"/bin/*
mkdir -p "$bundle/lib"
bundled=(libopenblas.so.0 libgfortran.so.5 libquadmath.so.0 libdnnl.so.2 libgomp.so.1 libOpenCL.so.1)
for library in "${bundled[@]}"; do
    cp -L "$(ldd "$bundle/bin/lpm" | awk -v name="$library" '$1 == name {print $3}')" "$bundle/lib/$library"
done
git describe --always --dirty >"$bundle/COMMIT"
tar -C . -cJf gpu-bundle.tar.xz "$bundle"
echo "gpu-bundle: $(du -sh "$bundle" | cut -f1) in $bundle/, $(du -sh gpu-bundle.tar.xz | cut -f1) packed" \
     "(commit $(cat "$bundle/COMMIT")); libraries gpu-check.sh must find there:"
ldd "$bundle/bin/lpm" | awk '{print "  " $1}' | grep -v -E "linux-vdso|ld-linux|openblas|gfortran|quadmath|dnnl|gomp|OpenCL"
