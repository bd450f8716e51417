// End-to-end tests of `lpm devices`, `lpm profile`, `lpm plan` and
// `lpm simulate`: output, JSON fields, files, and one-line errors.
#include "cli_test_support.h"
#include "devices/gpu_devices.h"
#include "schedule/schedule.h"

namespace {

using namespace lpm::testing_cli;

TEST_F(Cli, DevicesListsTheCatalogue)
{
    const fs::path report = path("devices.json");
    const RunResult result = lpm("devices --json " + quote(report.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    for (const char* name : {"V100", "A100-40", "A100-80", "H100", "H200", "L4", "RTX4090", "usable cores"})
        EXPECT_THAT(result.out, HasSubstr(name));
    const json document = readJson(report);
    EXPECT_GE(document.at("cpu_cores").get<int>(), 1);
    EXPECT_EQ(document.at("catalogue").size(), 7u);
    const json& gpu = document.at("gpu");
    EXPECT_FALSE(gpu.at("status").get<std::string>().empty());
    EXPECT_TRUE(gpu.at("devices").is_array());
    EXPECT_THAT(result.out, HasSubstr("GPUs: " + std::to_string(gpu.at("devices").size())));
}

// GPT-2 XL on eight H100s, with AdamW: each stage's memory is, by hand,
//   4 bytes × (weights + gradients + Adam's two moments) × the stage's parameters
//   + the micro-batches in flight × micro-batch size × 4 bytes × what the stage keeps per sample.
// Per block (C = 1600, T = 1024, 25 heads): 12C² + 13C parameters; kept per
// sample: 16·T·C + (4 + heads)·T floats (each LayerNorm its input and two
// statistics per row; QKV and proj their inputs; the attention qkv and a
// log-normaliser per head and row, its output being proj's input; the MLP its
// 4C-wide activations twice).
TEST_F(Cli, PlanOfGpt2XlOnEightH100sHasTheHandCalculatedMemory)
{
    const fs::path report = path("xl.json");
    const RunResult result = lpm("plan --model gpt2-xl --devices catalog:H100x8 --optimizer adamw --batch 64 "
                                 "--micro-batches 16 --json "
                                 + quote(report.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    const json document = readJson(report);
    const int64_t C = 1600, T = 1024, heads = 25, vocabulary = 50257, microBatch = 4;
    auto parameters = [&](int unit) -> int64_t {
        if (unit == 0)
            return (vocabulary + T) * C; // token and position tables
        if (unit == 49)
            return 2 * C + C * vocabulary; // final LayerNorm, head without bias
        return 12 * C * C + 13 * C;
    };
    auto keptFloats = [&](int unit) -> int64_t {
        if (unit == 0)
            return T; // the ids
        if (unit == 49)
            return (T * C + 2 * T) + T * C; // the LayerNorm's input and statistics; the head's input
        return 16 * T * C + (4 + heads) * T;
    };
    ASSERT_EQ(document.at("stages").size(), 8u);
    for (const json& stage : document.at("stages")) {
        int64_t parameterCount = 0, kept = 0;
        for (int unit = stage.at("first_unit").get<int>(); unit <= stage.at("last_unit").get<int>(); ++unit) {
            parameterCount += parameters(unit);
            kept += keptFloats(unit);
        }
        const int64_t inFlight = stage.at("peak_in_flight").get<int64_t>();
        EXPECT_EQ(stage.at("memory_bytes").get<int64_t>(), 4 * 4 * parameterCount + inFlight * microBatch * 4 * kept)
            << "stage of units " << stage.at("first_unit") << "-" << stage.at("last_unit");
    }
}

TEST_F(Cli, ARealSizeIsNotProfiledOnTheCpu)
{
    expectOneLineError(lpm("plan --model gpt2-xl --devices cpu:2"),
                       {"profiling gpt2-xl on cpu is not available", "catalog:H100x8"});
}

TEST_F(Cli, CheckBackendOnTheCpuPrintsTheTableAndAGpuCheckWithoutAGpuSaysWhy)
{
    const fs::path report = path("check.json");
    RunResult result = lpm("check-backend cpu --seed 5 --json " + quote(report.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    for (const char* part : {"seed 5", "Conv2d", "BatchNorm2d", "gradWeight", "all within tolerance"})
        EXPECT_THAT(result.out, HasSubstr(part));
    const json document = readJson(report);
    EXPECT_EQ(document.at("seed").get<uint64_t>(), 5u);
    EXPECT_TRUE(document.at("passed").get<bool>());
    EXPECT_GE(document.at("rows").size(), 40u);

    const json devices = [&] {
        lpm("devices --json " + quote(path("devices.json").string()));
        return readJson(path("devices.json"));
    }();
    if (devices.at("gpu").at("devices").empty())
        expectOneLineError(lpm("check-backend cuda"), {"cannot check backend 'cuda'"});
    expectOneLineError(lpm("check-backend tpu"), {"unknown backend 'tpu'"});
}

TEST_F(Cli, PlanForCatalogueGpusPrintsTheStagesAndWritesJson)
{
    const fs::path report = path("plan-report.json");
    const fs::path planFile = path("plan.json");
    const RunResult result = lpm("plan --model resnet-mini --devices catalog:H100x4 --partitioner lpm "
                                 "--schedule 1f1b --batch 64 --micro-batches 8 --out "
                                 + quote(planFile.string()) + " --json " + quote(report.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr("H100#0"));
    EXPECT_THAT(result.out, HasSubstr("predicted: iteration"));
    const json document = readJson(report);
    for (const char* field : {"predicted_iteration_ms", "predicted_speedup", "bubble_fraction"})
        EXPECT_GT(document.at(field).get<double>(), 0.0) << field;
    const json& stages = document.at("stages");
    ASSERT_GE(stages.size(), 2u);
    ASSERT_LE(stages.size(), 4u);
    EXPECT_EQ(stages.front().at("first_unit"), 0);
    for (size_t s = 1; s < stages.size(); ++s)
        EXPECT_EQ(stages[s].at("first_unit").get<int>(), stages[s - 1].at("last_unit").get<int>() + 1);
    EXPECT_LE(document.at("bubble_fraction").get<double>(), 1.0);
    EXPECT_EQ(readJson(planFile).at("format"), "lpm-plan");
}

// Issue 18: cnn's second convolution holds about 64 % of its work on one CPU
// core, so no cut into two stages gains more than ~1.34x, and dp is suggested.
// The costs are the example design's measured ones (a profile taken now varies:
// 1.25x here on 2026-12-06; the data-sheet GPU estimates, dominated by launch
// overheads, give 1.98x and name no unit).
TEST_F(Cli, PlanOfCnnOnTwoCoresNamesItsSecondConvolutionAndSuggestsDp)
{
    const fs::path report = path("plan-report.json");
    const RunResult result = lpm("plan --model cnn --devices cpu:2 --costs " + quote(exampleCnnCosts().string())
                                 + " --quiet --json " + quote(report.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    const json document = readJson(report);
    const double ceiling = document.at("speedup_ceiling").get<double>();
    EXPECT_LT(ceiling, 1.35);
    EXPECT_GT(ceiling, 1.0);
    EXPECT_LE(document.at("predicted_speedup").get<double>(), ceiling);
    EXPECT_THAT(document.at("bottleneck").get<std::string>(), HasSubstr("unit 3 Conv2d #2 (3x3 32->64"));
    const json& suggestion = document.at("suggestion");
    ASSERT_TRUE(suggestion.is_object()) << suggestion;
    EXPECT_EQ(suggestion.at("schedule"), "dp");
    // At least 10 % faster than the plan, and what `lpm plan --schedule dp` predicts.
    EXPECT_LE(suggestion.at("predicted_iteration_ms").get<double>(),
              0.9 * document.at("predicted_iteration_ms").get<double>());
    const fs::path dpReport = path("dp-report.json");
    ASSERT_EQ(lpm("plan --model cnn --devices cpu:2 --schedule dp --quiet --costs " + quote(exampleCnnCosts().string())
                  + " --json " + quote(dpReport.string()))
                  .exitCode,
              0);
    const json dp = readJson(dpReport);
    EXPECT_DOUBLE_EQ(suggestion.at("predicted_speedup").get<double>(), dp.at("predicted_speedup").get<double>());
    EXPECT_TRUE(dp.at("suggestion").is_null()); // dp itself: nothing clearly better
    EXPECT_DOUBLE_EQ(dp.at("speedup_ceiling").get<double>(), ceiling);

    EXPECT_THAT(result.out, HasSubstr("ceiling: a layer-wise cut on these 2 devices runs at most 1.34x"));
    EXPECT_THAT(result.out, HasSubstr("bottleneck: unit 3 Conv2d #2"));
    EXPECT_THAT(result.out, HasSubstr("suggestion: schedule dp is predicted at"));
    EXPECT_THAT(result.out, HasSubstr("--schedule dp"));
}

// resnet-mini's residual blocks divide evenly: a high ceiling, and with 16
// micro-batches lpm's fill and drain are too small for dp to be clearly faster.
// Planned on data-sheet estimates (deterministic). With this machine's measured
// CPU costs on cpu:2 (4 micro-batches) the ceiling was 1.74x and dp was
// suggested (2.00x against lpm's 1.55x).
TEST_F(Cli, PlanOfResnetMiniHasAHighCeilingAndNoSuggestion)
{
    const fs::path report = path("plan-report.json");
    const RunResult result = lpm("plan --model resnet-mini --devices catalog:H200x2 "
                                 "--micro-batches 16 --quiet --json "
                                 + quote(report.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    const json document = readJson(report);
    EXPECT_GT(document.at("speedup_ceiling").get<double>(), 1.8);
    EXPECT_LE(document.at("speedup_ceiling").get<double>(), 2.0 + 1e-9);
    EXPECT_FALSE(document.at("bottleneck").get<std::string>().empty());
    EXPECT_TRUE(document.at("suggestion").is_null()) << document.at("suggestion");
    EXPECT_THAT(result.out, HasSubstr("ceiling:"));
    EXPECT_THAT(result.out, Not(HasSubstr("suggestion:")));
}

TEST_F(Cli, ProfileThenPlanWithTheCostsThenSimulateWithATrace)
{
    const fs::path costs = path("costs.json");
    RunResult result = lpm("profile --model mlp --micro-batch-size 8 --repetitions 3 --min-seconds 0 --quiet --out "
                           + quote(costs.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr("median of 3 rounds"));
    EXPECT_EQ(readJson(costs).at("devices").at(0).at("device"), "cpu");

    const fs::path planFile = path("plan.json");
    result = lpm("plan --model mlp --devices cpu:2 --batch 32 --micro-batches 4 --costs " + quote(costs.string())
                 + " --out " + quote(planFile.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.err, Not(HasSubstr("profiling"))); // the costs file was used
    EXPECT_THAT(result.out, HasSubstr("cpu:1"));

    const fs::path trace = path("trace.json");
    const fs::path report = path("simulate.json");
    result = lpm("simulate --plan " + quote(planFile.string()) + " --trace " + quote(trace.string()) + " --json "
                 + quote(report.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    const json events = readJson(trace).at("traceEvents");
    int forwards = 0;
    for (const json& event : events)
        forwards += event.at("ph") == "X" && event.at("cat") == "forward";
    EXPECT_EQ(forwards, 2 * 4 * readJson(report).at("stages").size()); // 2 mini-batches of 4
    EXPECT_EQ(readJson(report).at("command"), "simulate");
}

TEST_F(Cli, PlanWithScheduleAutoPredictsEveryScheduleAndPlansTheFastestExactOne)
{
    const fs::path report = path("auto.json");
    const fs::path planFile = path("auto-plan.json");
    const std::string common = "plan --model resnet-mini --devices catalog:H100x4 --batch 64 --micro-batches 8 "
                               "--schedule auto --quiet";
    const RunResult result = lpm(common + " --out " + quote(planFile.string()) + " --json " + quote(report.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    const json document = readJson(report);
    const json& candidates = document.at("candidates");
    ASSERT_EQ(candidates.size(), 2 * lpm::scheduleNames().size()); // without and with recomputation
    std::string fastest;
    bool fastestRecomputes = true;
    double fastestMs = 1e300;
    int recomputing = 0;
    for (const json& candidate : candidates) {
        const std::string name = candidate.at("schedule").get<std::string>();
        SCOPED_TRACE(name);
        EXPECT_THAT(result.out, HasSubstr(name));
        EXPECT_EQ(candidate.at("exact").get<bool>(), lpm::scheduleTraits(name).exact());
        ASSERT_FALSE(candidate.contains("problem")) << candidate.at("problem");
        const double ms = candidate.at("predicted_iteration_ms").get<double>();
        EXPECT_GT(ms, 0.0);
        EXPECT_GE(candidate.at("bubble_fraction").get<double>(), 0.0);
        EXPECT_FALSE(candidate.at("peak_memory_bytes").empty());
        recomputing += candidate.at("recompute").get<bool>();
        if (candidate.at("exact").get<bool>() && candidate.at("fits").get<bool>() && ms < fastestMs) {
            fastestMs = ms;
            fastest = name;
            fastestRecomputes = candidate.at("recompute").get<bool>();
        }
    }
    EXPECT_EQ(recomputing, int(lpm::scheduleNames().size()));
    EXPECT_EQ(document.at("chosen").get<std::string>(), fastest);
    EXPECT_EQ(document.at("chosen_recompute").get<bool>(), fastestRecomputes);
    EXPECT_FALSE(fastestRecomputes); // H100s hold resnet-mini's activations: an extra forward only costs time
    EXPECT_EQ(document.at("schedule").get<std::string>(), fastest);
    EXPECT_NEAR(document.at("predicted_iteration_ms").get<double>(), fastestMs, 1e-9);
    EXPECT_THAT(result.out, HasSubstr("<- chosen"));
    EXPECT_EQ(readJson(planFile).at("schedule").get<std::string>(), fastest);

    // Inexact schedules only when asked; --allow-async without auto is a mistake.
    const fs::path asyncReport = path("auto-async.json");
    ASSERT_EQ(lpm(common + " --allow-async --json " + quote(asyncReport.string())).exitCode, 0);
    const json withAsync = readJson(asyncReport);
    double bestMs = 1e300;
    for (const json& candidate : withAsync.at("candidates"))
        if (candidate.at("fits").get<bool>())
            bestMs = std::min(bestMs, candidate.at("predicted_iteration_ms").get<double>());
    EXPECT_NEAR(withAsync.at("predicted_iteration_ms").get<double>(), bestMs, 1e-9);
    expectOneLineError(lpm("plan --model cnn --devices catalog:H100x2 --allow-async"),
                       {"--allow-async applies to --schedule auto only"});
    expectOneLineError(lpm(common + " --recompute"), {"--recompute with --schedule auto", "already"});
}

TEST_F(Cli, PlanWithRecomputationSaysWhichStagesRecomputeAndNeedsLessMemory)
{
    const std::string common = "plan --model vgg-mini --devices catalog:H100x2 --batch 256 --micro-batches 8 "
                               "--schedule gpipe --quiet --json ";
    const fs::path plain = path("plain.json"), recomputing = path("recomputing.json");
    ASSERT_EQ(lpm(common + quote(plain.string())).exitCode, 0);
    const RunResult result = lpm(common + quote(recomputing.string()) + " --recompute");
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr("recomputation on stages 0, 1"));
    const json before = readJson(plain), after = readJson(recomputing);
    ASSERT_EQ(after.at("stages").size(), before.at("stages").size());
    for (size_t s = 0; s < after.at("stages").size(); ++s) {
        EXPECT_TRUE(after.at("stages")[s].at("recompute").get<bool>());
        EXPECT_FALSE(before.at("stages")[s].at("recompute").get<bool>());
        // GPipe keeps all 8 micro-batches: as inputs alone they take far less.
        EXPECT_LT(after.at("stages")[s].at("memory_bytes").get<int64_t>(),
                  before.at("stages")[s].at("memory_bytes").get<int64_t>());
    }
    EXPECT_GT(after.at("predicted_iteration_ms").get<double>(), before.at("predicted_iteration_ms").get<double>());
}

// Stage replication on CPU cores: --replicas 2 runs cnn as one stage on
// both cores, the plan file keeps it, training with it is exact, and the
// grouping errors name what to change before anything is profiled.
TEST_F(Cli, PlanWithReplicasGroupsTheCoresAndTrainingWithThemIsExact)
{
    const fs::path report = path("replicas.json");
    const fs::path planFile = path("replicas-plan.json");
    const std::string common = "plan --model cnn --devices cpu:2 --batch 32 --micro-batches 2 --quiet";
    const RunResult result =
        lpm(common + " --replicas 2 --out " + quote(planFile.string()) + " --json " + quote(report.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr("replicated: stage 0 on 2 cores (cpu:0-1)"));
    const json document = readJson(report);
    ASSERT_EQ(document.at("stages").size(), 1u);
    EXPECT_EQ(document.at("stages")[0].at("replicas").get<int>(), 2);
    EXPECT_EQ(document.at("stages")[0].at("device").get<std::string>(), "cpu:0-1");
    const json plan = readJson(planFile);
    EXPECT_EQ(plan.at("devices")[0].at("replicas").get<int>(), 2);
    EXPECT_EQ(plan.at("devices")[0].at("costs").get<std::string>(), "cpu*2");

    const RunResult trained =
        lpm("train --plan " + quote(planFile.string()) + " --dataset synthetic --steps 2 --compare-sequential --quiet");
    ASSERT_EQ(trained.exitCode, 0) << trained.err;
    EXPECT_THAT(trained.out, HasSubstr("units 0-9 (on 2 cores)"));
    EXPECT_THAT(trained.out, HasSubstr("weights identical"));

    expectOneLineError(lpm(common + " --replicas 3"), {"--replicas 3 does not divide the 2 devices"});
    expectOneLineError(lpm(common + " --replicas two"), {"--replicas", "auto or a whole number", "'two'"});
    expectOneLineError(lpm(common + " --replicas 2 --schedule dp"), {"one-stage-per-device pipelines", "dp"});
    expectOneLineError(lpm("plan --model cnn --devices catalog:H100x2 --replicas 2"),
                       {"CPU cores only", "catalog:H100x2", "not available yet"});
    expectOneLineError(lpm(common + " --schedule auto --replicas auto"), {"--replicas with --schedule auto"});
}

TEST_F(Cli, PlanWithMoreDevicesThanUnitsSaysSo)
{
    const RunResult result = lpm("plan --model mlp --devices catalog:L4x8 --batch 16 --micro-batches 4");
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr("note: the plan uses"));
}

TEST_F(Cli, PlanErrorsAreOneLine)
{
    expectOneLineError(lpm("plan --devices gpu:0"), {"device set 'gpu:0'", "unknown kind"});
    expectOneLineError(lpm("plan --devices catalog:B200x2"), {"B200", "known:"});
    expectOneLineError(lpm("plan --devices cuda:9"), {"cuda:9", "GPU"});
    expectOneLineError(lpm("plan --batch 64 --micro-batches 5"), {"5 micro-batches do not divide the batch 64"});
    expectOneLineError(lpm("plan --model nope"), {"nope"});
    expectOneLineError(lpm("plan --schedule zigzag"), {"zigzag"});
    expectOneLineError(lpm("plan --devices catalog:H100 --costs " + quote(path("missing.json").string())),
                       {"missing.json", "cannot open costs file"});
    expectOneLineError(lpm("plan --devices catalog:H100x2 --out " + quote(path("no/such/plan.json").string())),
                       {"--out", "does not exist"});
}

TEST_F(Cli, ProfileErrorsAreOneLine)
{
    const std::string out = " --out " + quote(path("costs.json").string());
    expectOneLineError(lpm("profile --device cpu:2" + out), {"--device cpu:2", "profile one device"});
    if (lpm::discoverGpus().gpus.empty())
        expectOneLineError(lpm("profile --device cuda:0" + out), {"cuda:0", "no GPU can be used here"});
    expectOneLineError(lpm("profile --device catalog:B200" + out), {"B200"});
    expectOneLineError(lpm("profile --model nope" + out), {"nope"});
    expectOneLineError(lpm("profile --min-seconds -1" + out), {"--min-seconds", "-1"});
    EXPECT_TRUE(entries().empty()); // nothing written
}

TEST_F(Cli, SimulateRejectsABadPlanFile)
{
    const fs::path planFile = path("plan.json");
    std::ofstream(planFile) << "{\"format\": \"lpm-plan\", \"version\": 1}";
    expectOneLineError(lpm("simulate --plan " + quote(planFile.string())), {"plan.json", "model: missing"});
    expectOneLineError(lpm("simulate --plan " + quote(path("none.json").string())), {"none.json", "cannot open plan"});
    EXPECT_EQ(entries(), (std::vector<std::string>{"plan.json"})); // nothing half-written
}

} // namespace
