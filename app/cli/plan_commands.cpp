#include "cli/plan_commands.h"

#include <cstdio>
#include <memory>
#include <optional>

#include "backend/cpu/blas_kernel.h"
#include "cli/command_costs.h"
#include "cli/output_files.h"
#include "cli/plan_report.h"
#include "cli/training_plan.h"
#include "devices/backend_factory.h"
#include "devices/host_devices.h"
#include "graph/model_source.h"
#include "io/atomic_file.h"
#include "io/whole_file.h"
#include "nn/model_zoo.h"
#include "pipeline/chrome_trace.h"
#include "plan/partitioners.h"
#include "plan/plan_json.h"
#include "schedule/schedule.h"
#include "sim/prediction.h"
#include "sim/schedule_choice.h"
#include "tensor/error.h"

namespace lpm::cli {

namespace {

// ---- lpm devices ----------------------------------------------------------

void printGpus(const GpuDiscovery& found)
{
    std::printf("GPUs: %zu (%s)\n", found.gpus.size(), found.status.c_str());
    for (const GpuDevice& gpu : found.gpus) {
        std::string peers;
        for (size_t j = 0; j < found.gpus.size(); ++j)
            if (found.peerAccess[size_t(gpu.index)][j]) {
                if (!peers.empty())
                    peers += ',';
                peers += std::to_string(j);
            }
        std::printf("  cuda:%d  %s, %s, %d SMs, compute %d.%d, %d MHz, bus %s, peer access: %s\n", gpu.index,
                    gpu.name.c_str(), formatBytes(gpu.memoryBytes).c_str(), gpu.multiprocessors, gpu.computeMajor,
                    gpu.computeMinor, gpu.clockKHz / 1000, gpu.pciBusId.c_str(),
                    peers.empty() ? "none" : peers.c_str());
    }
    if (found.cudaBuilt)
        std::printf("  driver for CUDA %s, runtime %s, cuDNN %s, NCCL %s\n",
                    formatCudaVersion(found.driverVersion).c_str(), formatCudaVersion(found.runtimeVersion).c_str(),
                    formatLibraryVersion(found.cudnnVersion).c_str(), formatLibraryVersion(found.ncclVersion).c_str());
    std::printf("\n");
}

nlohmann::json gpuJson(const GpuDiscovery& found)
{
    nlohmann::json gpus = nlohmann::json::array();
    for (const GpuDevice& gpu : found.gpus)
        gpus.push_back(
            {{"index", gpu.index},
             {"name", gpu.name},
             {"memory_bytes", gpu.memoryBytes},
             {"multiprocessors", gpu.multiprocessors},
             {"compute_capability", std::to_string(gpu.computeMajor) + "." + std::to_string(gpu.computeMinor)},
             {"clock_khz", gpu.clockKHz},
             {"pci_bus_id", gpu.pciBusId},
             {"peer_access", found.peerAccess[size_t(gpu.index)]}});
    return {{"cuda_built", found.cudaBuilt},
            {"status", found.status},
            {"devices", gpus},
            {"driver_cuda_version", found.driverVersion},
            {"runtime_cuda_version", found.runtimeVersion},
            {"cudnn_version", found.cudnnVersion},
            {"nccl_version", found.ncclVersion}};
}

void runDevices(const std::string& jsonFile)
{
    if (!jsonFile.empty())
        requireWritableOutput(jsonFile, "--json");
    const HostDevices host = discoverHostDevices();
    const CpuFeatures cpu = readCpuFeatures();
    std::printf("this machine: %s, %d usable cores, %s memory\n", host.cpuName.c_str(), host.cpuCores,
                formatBytes(host.memoryBytes).c_str());
    std::printf("  plan for it with --devices cpu:N (one core per stage)\n");
    std::printf("  %s\n  convolutions: %s\n  CPU flags: %s\n", host.blasKernelDetail.c_str(),
                host.convolutionKernels.c_str(), describeCpuFeatures(cpu).c_str());
    printGpus(host.gpu);
    std::printf("catalogue (data sheets; plan with --devices catalog:NAMExN):\n");
    std::printf("  %-8s %-30s %8s %8s %9s %8s  %-22s %s\n", "name", "device", "FP32 TF", "TF32 TF", "mem GB/s",
                "memory", "peer link (GB/s each way)", "per server");
    nlohmann::json catalogue = nlohmann::json::array();
    for (const DeviceModel& device : deviceCatalog()) {
        const std::string link = device.peerLink.name + " " + std::to_string(int(device.peerLink.bytesPerSecond / 1e9));
        std::printf("  %-8s %-30s %8.1f %8.1f %9.0f %8s  %-26s %d\n", device.id.c_str(), device.fullName.c_str(),
                    device.fp32FlopsPerSecond / 1e12, device.tensorFlopsPerSecond / 1e12,
                    device.memoryBytesPerSecond / 1e9, formatBytes(device.memoryBytes).c_str(), link.c_str(),
                    device.perServer);
        catalogue.push_back({{"name", device.id},
                             {"device", device.fullName},
                             {"fp32_flops_per_second", device.fp32FlopsPerSecond},
                             {"tf32_flops_per_second", device.tensorFlopsPerSecond},
                             {"memory_bytes_per_second", device.memoryBytesPerSecond},
                             {"memory_bytes", device.memoryBytes},
                             {"peer_link", device.peerLink.name},
                             {"peer_link_bytes_per_second", device.peerLink.bytesPerSecond},
                             {"per_server", device.perServer}});
    }
    const LinkSpec ethernet = ethernetLink();
    std::printf("  between servers: %s, %.1f GB/s each way, %.0f us per message (assumed)\n", ethernet.name.c_str(),
                ethernet.bytesPerSecond / 1e9, ethernet.latencySeconds * 1e6);
    if (!jsonFile.empty())
        writeJsonFile(jsonFile, {{"cpu", host.cpuName},
                                 {"cpu_cores", host.cpuCores},
                                 {"memory_bytes", host.memoryBytes},
                                 {"blas_kernel", host.blasKernel},
                                 {"blas_kernel_detail", host.blasKernelDetail},
                                 {"best_blas_kernel", bestBlasKernelFor(cpu)},
                                 {"convolution_kernels", host.convolutionKernels},
                                 {"cpu_flags", describeCpuFeatures(cpu)},
                                 {"gpu", gpuJson(host.gpu)},
                                 {"catalogue", catalogue}});
}

// ---- lpm profile ----------------------------------------------------------

struct ProfileCommandOptions {
    std::string model = "cnn";
    std::string device = "cpu";
    ProfileOptions profile;
    std::string out;
    bool quiet = false;
};

void runProfile(const ProfileCommandOptions& options)
{
    requireWritableOutput(options.out, "--out");
    if (!isOnnxModelName(options.model))
        buildModel(options.model); // an unknown name fails before anything else
    // "cpu" alone means this machine's core (as "cpu:1" does).
    const DeviceSet set = parseDeviceSet(options.device == "cpu" ? "cpu:1" : options.device);
    if (set.stageSlots.size() != 1)
        throw InvalidArgument("--device " + options.device + ": profile one device (cpu, cuda:K or catalog:NAME)");
    const DeviceSlot& slot = set.stageSlots.front();
    ModelCosts costs;
    if (slot.kind == DeviceKind::Cpu) {
        costs = profileOnCpu(options.model, options.profile, options.quiet);
    } else if (slot.kind == DeviceKind::Catalog) {
        costs = describeAnyModelCosts(options.model, options.profile.microBatchSize);
        costs.devices.push_back(estimateDeviceCosts(costs, catalogDevice(slot.catalogId)));
    } else { // a local GPU: its times are filed under its catalogue entry, replacing the estimates
        DeviceSet local = set;
        const HostDevices host = discoverHostDevices();
        resolveLocalGpus(local, host.gpu);
        const DeviceSlot& gpu = local.stageSlots.front();
        std::unique_ptr<Backend> backend = makeBackend(BackendRequest{"cuda:" + std::to_string(gpu.ordinal)});
        ProfileOptions profile = options.profile;
        profile.device = gpu.catalogId;
        profile.deviceDescription = host.gpu.gpus[size_t(gpu.ordinal)].name + ", cuda:" + std::to_string(gpu.ordinal);
        costs = profileOnBackend(*backend, options.model, profile, options.quiet);
    }
    const DeviceCosts& device = costs.devices.front();
    double forward = 0.0, backward = 0.0;
    for (const UnitTimes& unit : device.units) {
        forward += unit.forwardSeconds;
        backward += unit.backwardSeconds;
    }
    writeFileAtomically(options.out, costsToJson(costs));
    std::printf("%s on %s, micro-batch %lld: forward %.3f ms, backward %.3f ms over %d units\n%s\nwrote %s\n",
                options.model.c_str(), device.device.c_str(), static_cast<long long>(costs.microBatchSize),
                forward * 1e3, backward * 1e3, costs.unitCount(), device.source.c_str(), options.out.c_str());
}

// ---- lpm plan -------------------------------------------------------------

constexpr const char* kModelOptionHelp = "Zoo model (see `lpm models`), or an ONNX file (PATH.onnx; see `lpm import`)";

// `lpm plan --schedule auto`: every schedule predicted, the best one planned.
constexpr const char* kAutomaticSchedule = "auto";

struct PlanCommandOptions {
    PlanRequest request;
    std::string replicas = "1"; // --replicas: a count, or auto
    std::string out;
    std::string jsonFile;
    bool allowAsync = false; // --schedule auto may choose an inexact schedule
};

void runPlan(const PlanCommandOptions& options)
{
    // Cheap checks first: a typo must not cost a profile.
    outlineAnyModel(options.request.model);
    for (const auto& [flag, file] : {std::pair{"--out", options.out}, std::pair{"--json", options.jsonFile}})
        if (!file.empty())
            requireWritableOutput(file, flag);
    const bool automatic = options.request.schedule == kAutomaticSchedule;
    if (options.allowAsync && !automatic)
        throw InvalidArgument("--allow-async applies to --schedule auto only");
    if (options.request.recompute && automatic)
        throw InvalidArgument("--recompute with --schedule auto: auto predicts every schedule both without and with "
                              "recomputation already");
    PlanRequest request = options.request;
    request.replicas = parseReplicasOption(options.replicas);
    if (request.replicas != 1 && automatic)
        throw InvalidArgument("--replicas with --schedule auto: auto predicts every schedule both without and with "
                              "replication already (on CPU cores)");
    if (automatic) {
        request.schedule = kPipelinedSchedule; // to cut and cost the model; each candidate is cut again
        request.replicaCosts = true;           // (the costs on r cores that replicated candidates need)
    }
    Plan plan = makePlan(request); // checks the micro-batches before profiling
    std::optional<ScheduleChoice> choice;
    if (automatic) {
        choice = chooseSchedule(plan, options.allowAsync);
        printScheduleChoice(*choice);
        if (choice->chosen < 0)
            throw InvalidArgument(std::string("--schedule auto: no ") + (options.allowAsync ? "" : "exact ")
                                  + "schedule fits these devices' memory (see the table above)");
        plan = choice->candidates[size_t(choice->chosen)].plan;
        std::printf("\n");
    }
    const Prediction prediction = predictPlan(plan);
    const PlanAdvice advice = advisePlanOfZooModel(plan, prediction);
    printPlanReport(plan, prediction, advice);
    if (!options.out.empty()) {
        writeFileAtomically(options.out, planToJson(plan));
        std::printf("wrote %s\n", options.out.c_str());
    }
    if (!options.jsonFile.empty()) {
        nlohmann::json document = predictionJson(plan, prediction, advice);
        document["command"] = "plan";
        if (choice) {
            document["candidates"] = scheduleCandidatesJson(*choice);
            document["chosen"] = plan.schedule;
            document["chosen_recompute"] = plan.recompute;
            document["chosen_replicas"] = stageReplicas(plan);
        }
        writeJsonFile(options.jsonFile, document);
    }
}

// ---- lpm simulate ---------------------------------------------------------

struct SimulateCommandOptions {
    std::string planFile;
    std::string traceFile;
    std::string jsonFile;
    int miniBatches = 2;
};

void runSimulate(const SimulateCommandOptions& options)
{
    for (const auto& [flag, file] : {std::pair{"--trace", options.traceFile}, std::pair{"--json", options.jsonFile}})
        if (!file.empty())
            requireWritableOutput(file, flag);
    const Plan plan = planFromJson(readWholeFile(options.planFile, "plan"), options.planFile);
    const Prediction prediction = predictPlan(plan, options.miniBatches);
    const PlanAdvice advice = advisePlanOfZooModel(plan, prediction);
    printPlanReport(plan, prediction, advice);
    if (!options.traceFile.empty()) {
        writeFileAtomically(options.traceFile, chromeTraceJson(prediction.timeline, stageNames(plan)));
        std::printf("wrote %s (%zu actions, %zu transfers over %d mini-batches; open it in "
                    "https://ui.perfetto.dev)\n",
                    options.traceFile.c_str(), prediction.timeline.events.size(), prediction.timeline.transfers.size(),
                    options.miniBatches);
    }
    if (!options.jsonFile.empty()) {
        nlohmann::json document = predictionJson(plan, prediction, advice);
        document["command"] = "simulate";
        writeJsonFile(options.jsonFile, document);
    }
}

std::string joined(const std::vector<std::string>& names)
{
    std::string text;
    for (const std::string& name : names)
        text += (text.empty() ? "" : ", ") + name;
    return text;
}

} // namespace

void addDevicesCommand(CLI::App& app)
{
    auto jsonFile = std::make_shared<std::string>();
    CLI::App* command = app.add_subcommand(
        "devices", "Show this machine's CPU cores and GPUs, and the catalogue of devices to plan for");
    command->add_option("--json", *jsonFile, "Also write the figures as JSON to this file");
    command->callback([jsonFile] { runDevices(*jsonFile); });
}

void addProfileCommand(CLI::App& app)
{
    auto options = std::make_shared<ProfileCommandOptions>();
    CLI::App* command =
        app.add_subcommand("profile", "Measure every unit's forward and backward time of a model on one CPU core (or "
                                      "estimate them for a catalogue GPU) and save them for `lpm plan --costs`");
    command->add_option("--model", options->model, kModelOptionHelp)->capture_default_str();
    command
        ->add_option("--device", options->device,
                     "cpu (measured on one core), cuda:K (measured on GPU K, filed under its catalogue name, "
                     "e.g. H100) or catalog:NAME (estimated)")
        ->capture_default_str();
    command
        ->add_option("--micro-batch-size", options->profile.microBatchSize,
                     "Samples per measured micro-batch (plans at other sizes scale linearly)")
        ->check(CLI::Range(int64_t{1}, int64_t{1} << 16))
        ->capture_default_str();
    command
        ->add_option("--repetitions", options->profile.repetitions,
                     "Timed rounds at least (a round is a forward and a backward through every unit, each unit "
                     "timed; the median counts)")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    command
        ->add_option("--min-seconds", options->profile.minimumSeconds,
                     "Timed rounds go on for at least this long (a shared machine's speed drifts over seconds)")
        ->check(CLI::Range(0.0, 3600.0))
        ->capture_default_str();
    command->add_option("--warmup", options->profile.warmup, "Untimed rounds first")
        ->check(CLI::Range(0, 1000))
        ->capture_default_str();
    command->add_option("--out", options->out, "Costs file to write (JSON)")->required();
    command->add_flag("--quiet", options->quiet, "No progress line");
    command->callback([options] { runProfile(*options); });
}

void addPlanCommand(CLI::App& app)
{
    auto options = std::make_shared<PlanCommandOptions>();
    CLI::App* command =
        app.add_subcommand("plan", "Cut a model into pipeline stages for a set of devices and predict the iteration "
                                   "time, speedup and bubble of a schedule");
    command->add_option("--model", options->request.model, kModelOptionHelp)->capture_default_str();
    command
        ->add_option("--devices", options->request.devices,
                     "Device set: cpu:N, cuda:K[,K], cuda:KxN, catalog:NAME[xN] or mixes such as "
                     "catalog:A100-80x2,catalog:V100x2 (see `lpm devices`)")
        ->capture_default_str();
    command->add_option("--partitioner", options->request.partitioner, joined(partitionerNames()))
        ->check(CLI::IsMember(partitionerNames()))
        ->capture_default_str();
    std::vector<std::string> schedules = scheduleNames();
    schedules.push_back(kAutomaticSchedule);
    command
        ->add_option("--schedule", options->request.schedule,
                     joined(scheduleNames())
                         + " (sequential uses the first device), or auto: predict every "
                           "schedule and plan the fastest exact one that fits")
        ->check(CLI::IsMember(schedules))
        ->capture_default_str();
    command->add_flag("--allow-async", options->allowAsync,
                      "With --schedule auto: also choose schedules that are not exact (lpm-async, and dp, which "
                      "sums its replicas' gradients in another order)");
    command->add_option("--optimizer", options->request.optimizer, "sgd, adam or adamw (its state counts in memory)")
        ->check(CLI::IsMember({"sgd", "adam", "adamw"}))
        ->capture_default_str();
    command->add_option("--batch", options->request.batch, "Mini-batch size")
        ->check(CLI::Range(int64_t{1}, int64_t{1} << 24))
        ->capture_default_str();
    command
        ->add_option("--micro-batches", options->request.microBatches, "Micro-batches per mini-batch (must divide it)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    command
        ->add_option("--chunks", options->request.chunks,
                     "--schedule interleaved: model chunks per device (default 2); the micro-batches must be a "
                     "multiple of the devices")
        ->check(CLI::Range(2, 64));
    command->add_flag("--recompute", options->request.recompute,
                      "Activation recomputation on every stage: keep only each stage's input per micro-batch in "
                      "flight and run its forward again before the backward (less memory, one more forward)");
    command->add_option("--replicas", options->replicas, kReplicasHelp);
    command->add_option("--costs", options->request.costsFile,
                        "Unit costs from `lpm profile` (default: profile CPU stages now, estimate "
                        "catalogue GPUs from data sheets)");
    command->add_option("--out", options->out, "Save the plan (JSON) for `lpm simulate`");
    command->add_option("--json", options->jsonFile, "Write the prediction as JSON to this file");
    command->add_flag("--quiet", options->request.quiet, "No notes or progress on stderr");
    command->callback([options] { runPlan(*options); });
}

void addSimulateCommand(CLI::App& app)
{
    auto options = std::make_shared<SimulateCommandOptions>();
    CLI::App* command =
        app.add_subcommand("simulate", "Predict a saved plan's timeline and metrics, and export the timeline as a "
                                       "Chrome trace (Perfetto)");
    command->add_option("--plan", options->planFile, "Plan file from `lpm plan --out`")->required();
    command->add_option("--trace", options->traceFile, "Write the predicted timeline as Chrome trace JSON");
    command->add_option("--json", options->jsonFile, "Write the prediction as JSON to this file");
    command->add_option("--mini-batches", options->miniBatches, "Mini-batches in the trace")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    command->callback([options] { runSimulate(*options); });
}

} // namespace lpm::cli
