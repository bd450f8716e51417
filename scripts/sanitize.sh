#!/usr/bin/env bash
# Builds and runs the test suite under AddressSanitizer (with LeakSanitizer),
# and the multi-threaded tests under ThreadSanitizer, in build-asan/ and
# build-tsan/. Takes about 10 minutes on 2 cores. OpenBLAS itself is not
# instrumented; the project's own threads (ThreadTeam, concurrent backends) are.
#
#   scripts/sanitize.sh [address|thread]   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-both}"

if [[ "$which" == address || "$which" == both ]]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLPM_SANITIZE=address -DLPM_BUILD_BENCH=OFF
  cmake --build build-asan
  ctest --test-dir build-asan --output-on-failure -j2
fi
if [[ "$which" == thread || "$which" == both ]]; then
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLPM_SANITIZE=thread -DLPM_BUILD_BENCH=OFF
  cmake --build build-tsan --target test_cpu_backend test_trainer test_executor test_off_host_training \
    test_live_evaluation
  TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/test_cpu_backend
  TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/test_trainer --gtest_filter='*Thread*:*Stop*'
  # The pipeline executor: one thread per stage, queues, flushes, failures, stops.
  TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/test_executor --gtest_filter='-*vgg*:*resnet*'
  # Pipeline stages and dp replicas with backends of their own sharing one (pretend) device's memory.
  TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/test_off_host_training --gtest_filter='*Pipeline*:*DataParallel*:*WeightStashing*'
  # Snapshots for live evaluation: stages copy their slices, the calling thread takes them.
  TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/test_live_evaluation --gtest_filter='ExecutorSnapshots.*'
fi
