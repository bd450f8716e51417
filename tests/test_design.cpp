// Design files (*.lpm.json: a plan and the training settings), the training
// session that runs one, and the model outline the GUI draws.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "devices/device_set.h"
#include "devices/training_devices.h"
#include "expect_error.h"
#include "io/whole_file.h"
#include "nn/model_outline.h"
#include "nn/model_zoo.h"
#include "nn/parameter_store.h"
#include "plan/cost_sources.h"
#include "sim/prediction.h"
#include "train/design.h"
#include "train/trainer.h"

namespace lpm {
namespace {

using nlohmann::json;

// cnn on two catalogue GPUs (estimated costs), lpm-partitioned, synthetic data.
Design exampleDesign()
{
    const DeviceSet set = parseDeviceSet("catalog:A100-80x2");
    Design design;
    Plan& plan = design.plan;
    plan.model = "cnn";
    plan.deviceSpec = set.spec;
    plan.partitioner = "lpm";
    plan.schedule = "lpm";
    plan.batch = 32;
    plan.microBatches = 4;
    plan.devices = planDevices(set, HostDevices{});
    plan.costs = describeZooModelCosts("cnn", plan.microBatchSize());
    addCatalogEstimates(plan.costs, set);
    partitionPlan(plan);
    design.training.dataset = "synthetic";
    design.training.steps = 6;
    design.training.learningRate = 0.02;
    design.training.seed = 7;
    design.training.compareSequential = true;
    design.training.learningRateSchedule = "cosine";
    design.training.warmupSteps = 2;
    design.training.clipGradNorm = 1.5;
    design.training.weightDecay = 0.01;
    return design;
}

TEST(DesignFiles, RoundTripKeepsEveryField)
{
    const Design design = exampleDesign();
    const std::string text = designToJson(design);
    const Design loaded = designFromJson(text, "a.lpm.json");
    EXPECT_EQ(designToJson(loaded), text);
    EXPECT_EQ(loaded.training.dataset, "synthetic");
    EXPECT_EQ(loaded.training.steps, 6);
    EXPECT_EQ(loaded.training.learningRate, 0.02);
    EXPECT_EQ(loaded.training.seed, 7u);
    EXPECT_TRUE(loaded.training.compareSequential);
    EXPECT_EQ(loaded.training.learningRateSchedule, "cosine");
    EXPECT_EQ(loaded.training.warmupSteps, 2);
    EXPECT_EQ(loaded.training.clipGradNorm, 1.5);
    EXPECT_EQ(loaded.training.weightDecay, 0.01);
    // ... and a run of the design is made with them (on CPU cores: catalogue
    // devices are for planning only).
    Design onCores = loaded;
    onCores.plan.deviceSpec = "cpu:2";
    const OptimizerOptions optimizer = sessionRequestFor(onCores).train.optimizer;
    EXPECT_EQ(optimizer.schedule, "cosine");
    EXPECT_EQ(optimizer.warmupSteps, 2);
    EXPECT_EQ(optimizer.clipGradNorm, 1.5f);
    EXPECT_EQ(optimizer.weightDecay, 0.01f);
    ASSERT_EQ(loaded.plan.stages.size(), design.plan.stages.size());
    EXPECT_EQ(predictPlan(loaded.plan).iterationSeconds, predictPlan(design.plan).iterationSeconds);
}

// Each malformed document is refused with the file, the field and what was expected.
TEST(DesignFiles, MalformedFilesNameTheFieldAndTheExpectation)
{
    const json good = json::parse(designToJson(exampleDesign()));
    struct Case {
        std::function<void(json&)> spoil;
        std::vector<std::string> parts;
    };
    const std::vector<Case> cases = {
        {[](json& d) { d["format"] = "lpm-plan"; }, {"bad.lpm.json", "format", "expected \"lpm-design\""}},
        {[](json& d) { d["version"] = 9; }, {"version 9 is not supported"}},
        {[](json& d) { d.erase("training"); }, {"training: missing"}},
        {[](json& d) { d["training"]["epochs"] = "two"; }, {"training.epochs: expected an integer"}},
        {[](json& d) { d["training"]["steps"] = -1; }, {"training.steps: expected 0 or more, got -1"}},
        {[](json& d) { d["training"]["learning_rate"] = 0; }, {"training.learning_rate: expected a positive number"}},
        {[](json& d) { d["training"]["seed"] = -3; }, {"training.seed: expected an integer of 0 or more"}},
        {[](json& d) { d["training"]["compare_sequential"] = 1; },
         {"training.compare_sequential: expected true or false"}},
        {[](json& d) { d["training"]["weight_stash"] = true; }, {"weight stashing applies to lpm-async only", "lpm"}},
        {[](json& d) { d["training"]["dataset"] = ""; }, {"training.dataset: expected a data set name"}},
        {[](json& d) { d["plan"]["stages"][0]["first"] = "x"; }, {"plan.stages[0].first: expected an integer"}},
        {[](json& d) { d["plan"]["micro_batches"] = 5; }, {"bad.lpm.json", "micro-batches"}},
        {[](json& d) { d["training"]["lr_schedule"] = "linear"; },
         {"training.lr_schedule: expected \"constant\" or \"cosine\", got \"linear\""}},
        {[](json& d) { d["training"]["warmup_steps"] = -5; }, {"training.warmup_steps: expected 0 or more, got -5"}},
        {[](json& d) { d["training"]["clip_grad_norm"] = -1; },
         {"training.clip_grad_norm: expected 0 (no clipping) or a positive norm"}},
        {[](json& d) { d["training"]["weight_decay"] = 2; }, {"training.weight_decay: expected a number in [0, 1]"}},
        {[](json& d) { d["plan"]["schedule"] = "lpm-async"; },
         {"training.clip_grad_norm: gradient clipping is not available under lpm-async yet"}},
    };
    for (const Case& bad : cases) {
        json document = good;
        bad.spoil(document);
        SCOPED_TRACE(document.dump().substr(0, 80));
        expectError([&] { designFromJson(document.dump(), "bad.lpm.json"); }, bad.parts);
    }
    expectError([] { designFromJson("{not json", "bad.lpm.json"); }, {"bad.lpm.json", "not valid JSON"});
}

// Designs written before the optimizer settings existed load with the defaults.
TEST(DesignFiles, OptimizerSettingsAreOptional)
{
    json document = json::parse(designToJson(exampleDesign()));
    for (const char* field : {"lr_schedule", "warmup_steps", "clip_grad_norm", "weight_decay"})
        document["training"].erase(field);
    const TrainingSettings settings = designFromJson(document.dump(), "old.lpm.json").training;
    const TrainingSettings defaults;
    EXPECT_EQ(settings.learningRateSchedule, defaults.learningRateSchedule);
    EXPECT_EQ(settings.warmupSteps, defaults.warmupSteps);
    EXPECT_EQ(settings.clipGradNorm, defaults.clipGradNorm);
    EXPECT_EQ(settings.weightDecay, defaults.weightDecay);
}

TEST(DesignFiles, SaveIsAtomicAndLoadNamesTheFile)
{
    const std::filesystem::path folder = std::filesystem::temp_directory_path() / "lpm_test_design_files";
    std::filesystem::create_directories(folder);
    const std::string path = (folder / "example.lpm.json").string();
    const Design design = exampleDesign();
    saveDesignFile(path, design);
    EXPECT_EQ(designToJson(loadDesignFile(path)), designToJson(design));
    expectError([&] { loadDesignFile((folder / "absent.lpm.json").string()); }, {"absent.lpm.json"});
    std::filesystem::remove_all(folder);
}

TEST(DesignFiles, SessionRequestCarriesThePlanAndTheSettings)
{
    Design design = exampleDesign();
    design.plan.deviceSpec = "cpu:2"; // planned for A100s, trained on two cores
    const SessionRequest request = sessionRequestFor(design);
    EXPECT_EQ(request.train.model, "cnn");
    EXPECT_EQ(request.train.schedule, "lpm");
    EXPECT_EQ(request.train.batch, 32);
    EXPECT_EQ(request.train.microBatches, 4);
    EXPECT_EQ(request.train.steps, 6);
    EXPECT_EQ(request.train.seed, 7u);
    EXPECT_FLOAT_EQ(request.train.optimizer.learningRate, 0.02f);
    EXPECT_EQ(request.train.stages.size(), design.plan.stages.size());
    EXPECT_EQ(request.dataset, "synthetic");
    EXPECT_TRUE(request.compareSequential);
}

TEST(DesignFiles, SessionRequestTrainsWhereThePlanSays)
{
    Design design = exampleDesign();
    design.plan.deviceSpec = "cpu:2";
    EXPECT_EQ(sessionRequestFor(design).train.backend, "cpu");
    EXPECT_EQ(sessionRequestFor(design).train.stageBackends, (std::vector<std::string>{"cpu", "cpu"}));
    design.plan.deviceSpec = "cuda:1x2"; // two streams of GPU 1 (parsing needs no GPU)
    EXPECT_EQ(sessionRequestFor(design).train.backend, "cuda:1");
    EXPECT_EQ(sessionRequestFor(design).train.stageBackends, (std::vector<std::string>{"cuda:1", "cuda:1"}));
    design.plan.deviceSpec = "catalog:H100x2";
    expectError<InvalidArgument>([&] { sessionRequestFor(design); }, {"H100#0", "catalogue devices are for planning"});
    design.plan.deviceSpec = "cuda:0,1"; // a stage on each of two GPUs: the weights on the first
    EXPECT_EQ(sessionRequestFor(design).train.backend, "cuda:0");
    EXPECT_EQ(sessionRequestFor(design).train.stageBackends, (std::vector<std::string>{"cuda:0", "cuda:1"}));
    design.plan.deviceSpec = "cpu:1,cuda:0";
    expectError<InvalidArgument>([&] { sessionRequestFor(design); }, {"CPU stages only or on GPU stages only"});
    expectError<InvalidArgument>([] { requireTrainableDevices(DeviceSet{"", {}}); }, {"name no stage to train on"});
}

// A pipelined session on synthetic data with the sequential reference: the
// reference's weights equal the pipelined run's (lpm is exact), every step is
// reported, and the measured timeline arrives.
TEST(TrainingSession, RunsPipelinedThenTheReference)
{
    SessionRequest request;
    request.train.model = "mlp";
    request.train.schedule = "lpm";
    request.train.stages = {{0, 2, 0}, {3, 5, 1}};
    request.train.batch = 32;
    request.train.microBatches = 4;
    request.train.steps = 5;
    request.dataset = "synthetic";
    request.compareSequential = true;
    ASSERT_EQ(outlineModel("mlp").units.size(), 6u);
    int pipelinedReports = 0, referenceReports = 0, timelines = 0;
    std::vector<std::string> phases;
    SessionEvents events;
    events.status = [&](const SessionStatus& status) { phases.push_back(status.text()); };
    events.progress = [&](const SessionProgress& progress) {
        (progress.reference ? referenceReports : pipelinedReports)++;
    };
    events.timeline = [&](const Timeline& timeline) {
        ++timelines;
        EXPECT_EQ(timeline.stages, 2);
    };
    SessionControl control;
    const SessionResult result = runTrainingSession(request, events, control);
    EXPECT_EQ(result.summary.steps, 5);
    ASSERT_TRUE(result.reference.has_value());
    EXPECT_EQ(result.reference->weightsDigest, result.summary.weightsDigest);
    EXPECT_GE(pipelinedReports, 5);
    EXPECT_GE(referenceReports, 5);
    EXPECT_EQ(timelines, 1);
    EXPECT_FALSE(result.timeline.events.empty());
    ASSERT_EQ(phases.size(), 3u);
    EXPECT_EQ(phases[0], "loading synthetic");
    EXPECT_EQ(phases[1], "training mlp under " + request.train.schedule);
    EXPECT_EQ(phases[2], "training the sequential reference");
}

TEST(TrainingSession, PauseHoldsTheRunAndStopEndsIt)
{
    SessionRequest request;
    request.train.model = "mlp";
    request.train.steps = 100000;
    request.dataset = "synthetic";
    SessionControl control;
    std::atomic<int64_t> lastStep{0};
    SessionEvents events;
    events.progress = [&](const SessionProgress& progress) {
        lastStep = progress.progress.step;
        if (progress.progress.step == 3)
            control.pause = true; // held inside this report until stopped
    };
    std::thread stopper([&] {
        while (!control.pause.load())
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        EXPECT_EQ(lastStep.load(), 3); // paused: no step ran for 100 ms
        control.stop = true;
    });
    const SessionResult result = runTrainingSession(request, events, control);
    stopper.join();
    EXPECT_TRUE(result.summary.stopped);
    EXPECT_EQ(result.summary.steps, 3);
}

TEST(TrainingSession, BadDataSetIsAFileErrorNamingIt)
{
    SessionRequest request;
    request.dataset = "/nonexistent/mnist-folder";
    SessionControl control;
    expectError([&] { runTrainingSession(request, {}, control); }, {"/nonexistent/mnist-folder"});
}

TEST(ModelOutline, DescribesEveryUnitPerSample)
{
    const ModelOutline outline = outlineModel("cnn");
    EXPECT_EQ(outline.name, "cnn");
    EXPECT_EQ(outline.sampleShape, "(1, 28, 28)");
    ASSERT_FALSE(outline.units.empty());
    EXPECT_EQ(outline.units.back().outputShape, "(10)");
    EXPECT_GT(outline.forwardFlops(), 0.0);
    Model cnn = buildModel("cnn");
    EXPECT_EQ(outline.parameterBytes(), ParameterStore(cnn).parameterCount() * 4);
    expectError<InvalidArgument>([] { outlineModel("nope"); }, {"nope"});
}

} // namespace
} // namespace lpm
