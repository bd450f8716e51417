// Training throughput of every zoo model on the CPU backend: samples/s of full
// training steps (forward, loss, backward, SGD update) at a given batch size and
// thread count, the GFLOP/s that achieves, and, for scale, the BLAS's own
// single-threaded large-sgemm GFLOP/s on this machine.
//
//   bench_training [--models a,b] [--batch 64] [--threads 1] [--seconds 10] [--json F]
//
// Inputs are a fixed pool of random batches held in memory, so no data loading
// is timed; warm-up steps are excluded; the median of three timed rounds is reported.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "backend/cpu/blas_kernel.h"
#include "backend/cpu/cpu_backend.h"
#include "data/batcher.h"
#include "io/atomic_file.h"
#include "nn/model_zoo.h"
#include "optim/optimizer.h"
#include "tensor/random.h"
#include "train/training_step.h"

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Single-threaded sgemm of n×n by n×n, GFLOP/s of the best of three.
double measureLargeSgemm(int n)
{
    std::vector<float> a(size_t(n) * n), b(size_t(n) * n), c(size_t(n) * n);
    lpm::RandomStream stream(3);
    for (float& v : a)
        v = stream.nextUniform();
    for (float& v : b)
        v = stream.nextUniform();
    lpm::CpuBackend pin(1); // pins OpenBLAS to one thread
    double best = 0.0;
    for (int round = 0; round < 3; ++round) {
        const Clock::time_point start = Clock::now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(),
                    n);
        best = std::max(best, 2.0 * double(n) * n * n / secondsSince(start) / 1e9);
    }
    return best;
}

struct ModelResult {
    std::string name;
    double samplesPerSecond = 0.0;
    double gflops = 0.0;
    double mflopPerSample = 0.0;
    int64_t steps = 0;
};

ModelResult benchmarkModel(const std::string& name, int64_t batchSize, int threads, double seconds)
{
    lpm::Model model = lpm::buildModel(name);
    lpm::ParameterStore store(model);
    store.initialize(1);
    lpm::OptimizerOptions options;
    options.learningRate = 0.01f;
    auto optimizer = lpm::makeOptimizer(options, store);
    lpm::CpuBackend backend(threads);

    // Images: uniform pixels and a label each; a language model: token ids
    // and a next-token label per position.
    const bool tokens = model.tokens() > 0;
    const auto classes = uint64_t(model.classes());
    const int64_t labelsPerSample = std::max<int64_t>(model.tokens(), 1);
    std::vector<lpm::Batch> pool;
    lpm::RandomStream stream(11);
    for (int i = 0; i < 8; ++i) {
        lpm::Batch batch;
        batch.images = lpm::Tensor(model.inputShape(batchSize));
        for (float& v : batch.images.values())
            v = tokens ? float(stream.nextBelow(classes)) : stream.nextUniform();
        for (int64_t s = 0; s < batchSize * labelsPerSample; ++s)
            batch.labels.push_back(int32_t(stream.nextBelow(classes)));
        pool.push_back(std::move(batch));
    }
    double flopsPerSample = 0.0;
    for (const lpm::UnitCost& cost : model.unitCosts())
        flopsPerSample += cost.forwardFlops + cost.backwardFlops;

    int64_t step = 0;
    auto runStep = [&] {
        lpm::runTrainingStep(backend, model, store, *optimizer, pool[size_t(step % 8)], 1, 1, step);
        ++step;
    };
    for (int i = 0; i < 3; ++i)
        runStep(); // warm-up: scratch buffers, caches
    std::vector<double> rates;
    int64_t timedSteps = 0;
    for (int round = 0; round < 3; ++round) {
        const Clock::time_point start = Clock::now();
        int64_t steps = 0;
        while (steps < 3 || secondsSince(start) < seconds / 3.0) {
            runStep();
            ++steps;
        }
        rates.push_back(double(steps * batchSize) / secondsSince(start));
        timedSteps += steps;
    }
    std::sort(rates.begin(), rates.end());
    ModelResult result;
    result.name = name;
    result.samplesPerSecond = rates[1];
    result.mflopPerSample = flopsPerSample / 1e6;
    result.gflops = rates[1] * flopsPerSample / 1e9;
    result.steps = timedSteps;
    return result;
}

} // namespace

int main(int argc, char** argv)
{
    lpm::selectBlasKernel(argv); // the kernel lpm itself would run on
    CLI::App app("Training throughput of the zoo models on the CPU backend", "bench_training");
    std::string models = "mlp,lenet5,cnn,vgg-mini,resnet-mini,resnet-flat";
    int64_t batch = 64;
    int threads = 1;
    double seconds = 10.0;
    std::string jsonFile;
    app.add_option("--models", models, "Comma-separated zoo models")->capture_default_str();
    app.add_option("--batch", batch, "Mini-batch size")->check(CLI::PositiveNumber)->capture_default_str();
    app.add_option("--threads", threads, "Threads of the CPU backend")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();
    app.add_option("--seconds", seconds, "Timed seconds per model")->check(CLI::PositiveNumber)->capture_default_str();
    app.add_option("--json", jsonFile, "Also write the results as JSON");
    CLI11_PARSE(app, argc, argv);

    try {
        const double sgemm = measureLargeSgemm(2048);
        const std::string convolutions = lpm::cpuConvolutionKernels();
        std::printf("OpenBLAS %s, core %s\n%s\nconvolutions: %s\n"
                    "large sgemm (2048^3, 1 thread): %.1f GFLOP/s\n\n",
                    openblas_get_config(), openblas_get_corename(), lpm::blasKernelReport().describe().c_str(),
                    convolutions.c_str(), sgemm);
        std::printf("%-12s %8s %14s %12s %10s\n", "model", "batch", "samples/s", "MFLOP/sample", "GFLOP/s");
        nlohmann::json document = {{"batch", batch},
                                   {"threads", threads},
                                   {"sgemm_gflops", sgemm},
                                   {"blas", openblas_get_config()},
                                   {"blas_core", openblas_get_corename()},
                                   {"convolution_kernels", convolutions},
                                   {"models", nlohmann::json::object()}};
        std::stringstream list(models);
        for (std::string name; std::getline(list, name, ',');) {
            const ModelResult r = benchmarkModel(name, batch, threads, seconds);
            std::printf("%-12s %8lld %14.1f %12.2f %10.1f\n", r.name.c_str(), static_cast<long long>(batch),
                        r.samplesPerSecond, r.mflopPerSample, r.gflops);
            std::fflush(stdout);
            document["models"][name] = {{"samples_per_second", r.samplesPerSecond},
                                        {"gflops", r.gflops},
                                        {"mflop_per_sample", r.mflopPerSample},
                                        {"timed_steps", r.steps}};
        }
        if (!jsonFile.empty())
            lpm::writeFileAtomically(jsonFile, document.dump(2) + "\n");
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench_training: error: %s\n", error.what());
        return 1;
    }
    return 0;
}
