#include "cli/check_backend_command.h"

#include <chrono>
#include <cstdio>
#include <memory>

#include "backend/backend_check.h"
#include "cli/output_files.h"
#include "devices/backend_factory.h"
#include "devices/gpu_devices.h"
#include "tensor/error.h"

namespace lpm::cli {

namespace {

struct CheckBackendOptions {
    std::string backend = "cuda";
    uint64_t seed = 0; // 0: a fresh seed from the clock
    double tolerance = 1e-4;
    bool tf32 = false;
    int cpuThreads = 2;
    std::string jsonFile;
};

void runCheckBackend(CheckBackendOptions options)
{
    if (!options.jsonFile.empty())
        requireWritableOutput(options.jsonFile, "--json");
    if (options.backend.rfind("cuda", 0) == 0) {
        const GpuDiscovery found = discoverGpus();
        if (found.gpus.empty())
            throw Error("cannot check backend '" + options.backend + "': " + found.status);
    }
    if (options.seed == 0)
        options.seed = uint64_t(std::chrono::steady_clock::now().time_since_epoch().count()) | 1;
    BackendRequest request;
    request.name = options.backend;
    request.tf32 = options.tf32;
    request.cpuThreads = options.cpuThreads;
    std::unique_ptr<Backend> backend = makeBackend(request);
    std::printf("checking %s against the CPU reference (one thread), seed %llu, tolerance %.0e%s\n",
                backend->name().c_str(), static_cast<unsigned long long>(options.seed), options.tolerance,
                options.tf32 ? ", TF32 on" : "");
    const BackendCheckReport report = checkBackendAgainstCpu(*backend, options.seed, options.tolerance);
    std::printf("  %-44s %-20s %-13s %9s %12s\n", "layer", "pass", "output", "elements", "rel. error");
    nlohmann::json rows = nlohmann::json::array();
    int failed = 0;
    for (const BackendCheckRow& row : report.rows) {
        std::printf("  %-44s %-20s %-13s %9lld %12.3e%s\n", row.layer.c_str(), row.pass.c_str(), row.output.c_str(),
                    static_cast<long long>(row.elements), row.relativeError, row.passed ? "" : "  FAIL");
        failed += row.passed ? 0 : 1;
        rows.push_back({{"layer", row.layer},
                        {"pass", row.pass},
                        {"output", row.output},
                        {"elements", row.elements},
                        {"relative_error", row.relativeError},
                        {"passed", row.passed}});
    }
    std::printf("worst relative error %.3e over %zu outputs: %s\n", report.worstError, report.rows.size(),
                report.passed ? "all within tolerance" : "FAILED");
    if (!options.jsonFile.empty())
        writeJsonFile(options.jsonFile, {{"backend", report.backend},
                                         {"seed", report.seed},
                                         {"tolerance", report.tolerance},
                                         {"tf32", options.tf32},
                                         {"worst_relative_error", report.worstError},
                                         {"passed", report.passed},
                                         {"rows", rows}});
    if (!report.passed)
        throw Error(std::to_string(failed) + " of " + std::to_string(report.rows.size()) + " outputs of "
                    + report.backend + " differ from the CPU by more than " + std::to_string(options.tolerance)
                    + " (seed " + std::to_string(report.seed) + ")");
}

} // namespace

void addCheckBackendCommand(CLI::App& app)
{
    auto options = std::make_shared<CheckBackendOptions>();
    CLI::App* command = app.add_subcommand(
        "check-backend", "Run every layer's forward and backward, the loss and the optimizers on a backend and on "
                         "the CPU reference with the same random inputs; print the relative errors and exit "
                         "non-zero when one exceeds the tolerance");
    command
        ->add_option("backend", options->backend,
                     "cuda, cuda:N, or cpu (checks the multi-threaded CPU "
                     "backend against one thread)")
        ->capture_default_str();
    command->add_option("--seed", options->seed, "Seed of the random inputs (default: a fresh one, printed)");
    command->add_option("--tolerance", options->tolerance, "Largest relative error accepted")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    command->add_flag("--tf32", options->tf32, "Allow TF32 tensor cores (expect errors near 1e-3)");
    command->add_option("--cpu-threads", options->cpuThreads, "Threads of the CPU backend when checking cpu")
        ->capture_default_str()
        ->check(CLI::Range(1, 256));
    command->add_option("--json", options->jsonFile, "Also write the table as JSON to this file");
    command->callback([options] { runCheckBackend(*options); });
}

} // namespace lpm::cli
