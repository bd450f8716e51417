#!/usr/bin/env bash
# Builds and runs the whole test suite under AddressSanitizer (with
# LeakSanitizer) and UndefinedBehaviorSanitizer, and the multi-threaded tests
# under ThreadSanitizer, in build-asan/ and build-tsan/ (no CUDA: nvcc's
# objects are not instrumented). A finding fails the test that meets it, and
# this script. About 25 minutes on 2 cores. OpenBLAS and oneDNN themselves
# are not instrumented; the project's own threads (stage workers, ThreadTeam,
# concurrent backends) are. CI runs it after the plain suite (.ci/run).
#
#   scripts/sanitize.sh [address|thread]   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-both}"
if [[ "$which" != address && "$which" != thread && "$which" != both ]]; then
  echo "usage: $0 [address|thread]" >&2
  exit 2
fi
export QT_QPA_PLATFORM=offscreen

if [[ "$which" == address || "$which" == both ]]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLPM_SANITIZE=address,undefined \
    -DLPM_WITH_CUDA=OFF -DLPM_BUILD_BENCH=OFF
  cmake --build build-asan
  ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --test-dir build-asan --output-on-failure -j2 --no-tests=error
fi
if [[ "$which" == thread || "$which" == both ]]; then
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLPM_SANITIZE=thread -DLPM_WITH_CUDA=OFF \
    -DLPM_BUILD_BENCH=OFF
  cmake --build build-tsan --target test_cpu_backend test_trainer test_executor test_off_host_training \
    test_live_evaluation test_gui_controller test_rank_pipeline
  # (tests/tsan.supp: reports from inside oneDNN, which is not instrumented)
  export TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/tests/tsan.supp"
  build-tsan/tests/test_cpu_backend
  build-tsan/tests/test_trainer --gtest_filter='*Thread*:*Stop*'
  # The pipeline executor: one thread per stage, queues, flushes, failures,
  # stops, and replicated stages (a team of threads inside a stage); of
  # gpt-mini (slow under TSan) only the test whose stages exchange gradient norms.
  build-tsan/tests/test_executor --gtest_filter='-*vgg*:*resnet*:*gpt_mini*'
  # Pipeline stages and dp replicas with backends of their own sharing one (pretend) device's memory.
  build-tsan/tests/test_off_host_training --gtest_filter='*Pipeline*:*DataParallel*:*WeightStashing*'
  # Ranks played by threads (pipelines and dp across ranks): channel, barriers, exchanges, progress.
  build-tsan/tests/test_rank_pipeline
  # Snapshots for live evaluation: stages copy their slices, the calling thread takes them.
  build-tsan/tests/test_live_evaluation --gtest_filter='ExecutorSnapshots.*'
  # The studio's controller: runs, stops, pauses and profiles on its worker thread, values handed over
  # through mailboxes TSan can see (gui/thread_mailbox.h). Qt and glib are not instrumented: calls they
  # make (their event queue's wake-ups) are not checked; the controller's own code is.
  TSAN_OPTIONS="$TSAN_OPTIONS ignore_noninstrumented_modules=1" build-tsan/tests/gui/test_gui_controller
fi
