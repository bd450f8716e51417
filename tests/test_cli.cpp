// End-to-end tests of the lpm command line: runs the built binary (LPM_BINARY)
// through the shell and checks exit codes, messages, JSON output and resume.
#include "cli_test_support.h"

#include <cmath>
#include <csignal>
#include <fstream>

namespace {

using namespace lpm::testing_cli;
using testing::Not;

const std::vector<std::string> kModels = {"mlp",         "lenet5",      "cnn",       "vgg-mini",
                                          "resnet-mini", "resnet-flat", "gpt-mini",  "gpt2-small",
                                          "gpt2-medium", "gpt2-xl",     "decoder-7b"};

// --- help -------------------------------------------------------------------------

TEST_F(Cli, HelpListsTheCommands)
{
    const RunResult result = lpm("--help");
    EXPECT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr("train"));
    EXPECT_THAT(result.out, HasSubstr("models"));
}

TEST_F(Cli, TrainHelpListsTheOptions)
{
    const RunResult result = lpm("train --help");
    EXPECT_EQ(result.exitCode, 0) << result.err;
    for (const char* flag : {"--model",    "--dataset",         "--epochs",           "--steps",
                             "--batch",    "--micro-batches",   "--optimizer",        "--lr",
                             "--momentum", "--nesterov",        "--weight-decay",     "--seed",
                             "--threads",  "--save-checkpoint", "--checkpoint-every", "--load-checkpoint",
                             "--json",     "--no-eval",         "--no-live-eval",     "--live-eval-samples",
                             "--quiet"})
        EXPECT_THAT(result.out, HasSubstr(flag));
}

TEST_F(Cli, VersionFlag)
{
    const RunResult result = lpm("--version");
    EXPECT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr("lpm"));
}

// --- bad input ------------------------------------------------------------------------

TEST_F(Cli, UnknownModelListsTheKnownNames)
{
    const RunResult result = lpm("train --model no-such-net --dataset synthetic --steps 1 --quiet");
    std::vector<std::string> parts = {"no-such-net"};
    parts.insert(parts.end(), kModels.begin(), kModels.end());
    expectOneLineError(result, parts);
}

TEST_F(Cli, BatchZero)
{
    expectOneLineError(lpm("train --model mlp --dataset synthetic --batch 0 --quiet"), {"--batch", "0"});
}

TEST_F(Cli, LiveEvaluationSamplesZero)
{
    expectOneLineError(lpm("train --model mlp --dataset synthetic --live-eval-samples 0 --quiet"),
                       {"--live-eval-samples", "0"});
}

TEST_F(Cli, EpochsAndStepsTogether)
{
    expectOneLineError(lpm("train --model mlp --dataset synthetic --epochs 1 --steps 5 --quiet"),
                       {"--epochs", "--steps"});
}

TEST_F(Cli, UnknownOptimizer)
{
    expectOneLineError(lpm("train --model mlp --dataset synthetic --optimizer foo --quiet"), {"--optimizer", "foo"});
}

TEST_F(Cli, MissingDatasetFolder)
{
    expectOneLineError(lpm("train --model mlp --dataset /nonexistent/folder --steps 1 --quiet"),
                       {"/nonexistent/folder"});
}

TEST_F(Cli, JsonIntoMissingFolderFailsBeforeTraining)
{
    // Ten epochs of cnn take over 30 s; the check must come first. (The bound
    // is loose, so that a busy machine's slow start does not fail it.)
    const RunResult result = lpm("train --model cnn --dataset synthetic --epochs 10 --json /nonexistent/dir/x.json");
    expectOneLineError(result, {"--json", "/nonexistent/dir"});
    EXPECT_LT(result.seconds, 10.0);
    EXPECT_EQ(result.out, ""); // no training summary
    EXPECT_FALSE(fs::exists("/nonexistent/dir/x.json"));
}

TEST_F(Cli, JsonOntoAFolderFailsBeforeTraining)
{
    const RunResult result = lpm("train --model cnn --dataset synthetic --epochs 10 --json " + quote(folder_.string()));
    expectOneLineError(result, {"--json", "is a folder, expected a file name"});
    EXPECT_LT(result.seconds, 10.0);
}

TEST_F(Cli, SaveCheckpointIntoMissingFolderFailsBeforeTraining)
{
    const RunResult result = lpm("train --model cnn --dataset synthetic --epochs 10 "
                                 "--save-checkpoint /nonexistent/dir/model.ckpt");
    expectOneLineError(result, {"--save-checkpoint", "/nonexistent/dir"});
    EXPECT_LT(result.seconds, 10.0);
    EXPECT_EQ(result.out, "");
}

TEST_F(Cli, CheckpointEveryWithoutAFileOrWithZeroStepsIsRefused)
{
    const RunResult alone = lpm("train --model cnn --dataset synthetic --epochs 10 --checkpoint-every 50");
    expectOneLineError(alone, {"--checkpoint-every 50 needs --save-checkpoint FILE"});
    EXPECT_EQ(alone.out, "");
    const RunResult zero = lpm("train --model cnn --dataset synthetic --epochs 10 --checkpoint-every 0 "
                               "--save-checkpoint "
                               + quote(path("never.ckpt")));
    expectOneLineError(zero, {"--checkpoint-every", "0"});
    EXPECT_FALSE(fs::exists(path("never.ckpt")));
}

TEST_F(Cli, CorruptCheckpoint)
{
    const fs::path checkpoint = path("corrupt.ckpt");
    std::ofstream(checkpoint) << "definitely not a checkpoint\n";
    const RunResult result = lpm("train --model mlp --dataset synthetic --steps 1 --quiet "
                                 "--load-checkpoint "
                                 + quote(checkpoint.string()));
    expectOneLineError(result, {checkpoint.string(), "not an LPM checkpoint"});
    EXPECT_EQ(result.out, "");
}

TEST_F(Cli, DamagedCheckpoint)
{
    const fs::path checkpoint = path("model.ckpt");
    const RunResult save = lpm("train --model mlp --dataset synthetic --steps 2 --batch 32 "
                               "--no-eval --quiet --save-checkpoint "
                               + quote(checkpoint.string()));
    ASSERT_EQ(save.exitCode, 0) << save.err;
    std::string bytes = readFile(checkpoint);
    ASSERT_GT(bytes.size(), 1000u);
    bytes[bytes.size() / 2] = char(bytes[bytes.size() / 2] ^ 0x04);
    std::ofstream(checkpoint, std::ios::binary | std::ios::trunc) << bytes;
    const RunResult result = lpm("train --model mlp --dataset synthetic --steps 1 --batch 32 "
                                 "--quiet --load-checkpoint "
                                 + quote(checkpoint.string()));
    expectOneLineError(result, {checkpoint.string(), "checksum mismatch"});
}

TEST_F(Cli, MismatchedCheckpoint)
{
    const fs::path checkpoint = path("model.ckpt");
    const RunResult save = lpm("train --model mlp --dataset synthetic --steps 2 --batch 32 "
                               "--no-eval --quiet --save-checkpoint "
                               + quote(checkpoint.string()));
    ASSERT_EQ(save.exitCode, 0) << save.err;
    const RunResult result = lpm("train --model mlp --dataset synthetic --steps 1 --batch 16 "
                                 "--quiet --load-checkpoint "
                                 + quote(checkpoint.string()));
    expectOneLineError(result, {checkpoint.string(), "--batch"});
}

TEST_F(Cli, MissingCheckpointFile)
{
    const fs::path checkpoint = path("missing.ckpt");
    expectOneLineError(lpm("train --model mlp --dataset synthetic --steps 1 --quiet "
                           "--load-checkpoint "
                           + quote(checkpoint.string())),
                       {checkpoint.string()});
}

TEST_F(Cli, NoSubcommand)
{
    expectOneLineError(lpm(""), {"subcommand"});
}

TEST_F(Cli, UnknownSubcommand)
{
    expectOneLineError(lpm("frobnicate"), {"frobnicate"});
}

TEST_F(Cli, UnknownFlag)
{
    expectOneLineError(lpm("train --model mlp --frobnicate 3"), {"--frobnicate"});
}

TEST_F(Cli, UnknownModelForModelsCommand)
{
    expectOneLineError(lpm("models no-such-net"), {"no-such-net", "resnet-mini"});
}

// --- training -------------------------------------------------------------------------

// Ctrl+C (SIGINT) stops after the current step, and the run still writes its
// summary and checkpoint and exits 0.
TEST_F(Cli, InterruptStopsTheRunAndKeepsItsResults)
{
    const fs::path report = path("interrupted.json");
    const fs::path checkpoint = path("interrupted.ckpt");
    // Synthetic data takes about a second to make; the signal comes at 10 s, well
    // into the 50 epochs (which would take minutes), with room for a busy machine.
    const std::string command = "timeout --preserve-status -s INT 10 " + quote(LPM_BINARY)
                                + " train --model cnn --dataset synthetic --epochs 50 --quiet --json "
                                + quote(report.string()) + " --save-checkpoint " + quote(checkpoint.string())
                                + " >/dev/null 2>&1 </dev/null";
    const int status = std::system(command.c_str());
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    const json summary = readJson(report);
    EXPECT_TRUE(summary.at("stopped").get<bool>());
    EXPECT_GT(summary.at("steps").get<int64_t>(), 0);
    EXPECT_LT(summary.at("steps").get<int64_t>(), 50 * (6000 / 64));
    EXPECT_TRUE(fs::exists(checkpoint));
}

// A short text of words, `bytes` long, for the language model.
std::string wordsText(size_t bytes)
{
    static const char* words[] = {"stage ", "pipeline ", "the ", "weights ", "of ", "a ", "micro-batch. "};
    std::string text;
    for (size_t i = 0; text.size() < bytes; ++i)
        text += words[(i * 5 + i / 3) % 7];
    text.resize(bytes);
    return text;
}

TEST_F(Cli, ALanguageModelTrainsOnTextAndReportsBitsPerByte)
{
    const fs::path corpus = path("corpus.txt");
    std::ofstream(corpus) << wordsText(6000);
    const fs::path report = path("run.json");
    const RunResult result = lpm("train --model gpt-mini --dataset text:" + quote(corpus.string())
                                 + " --steps 3 --batch 4 --optimizer adam --lr 3e-3 --no-live-eval --quiet --json "
                                 + quote(report.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr("bits per byte"));
    const json summary = readJson(report);
    EXPECT_EQ(summary.at("model"), "gpt-mini");
    // Three steps from the uniform guess (ln 256 = 5.55 nats): below it, and
    // bits per byte the same loss in bits.
    const double loss = summary.at("validation_loss").get<double>();
    EXPECT_GT(loss, 1.0);
    EXPECT_LT(loss, 5.55);
    EXPECT_NEAR(summary.at("bits_per_byte").get<double>(), loss / std::log(2.0), 1e-9);
    EXPECT_NEAR(summary.at("perplexity").get<double>(), std::exp(loss), 1e-6 * std::exp(loss));
}

// --- generate ---------------------------------------------------------------------

TEST_F(Cli, GenerateContinuesAPromptFromACheckpointReproducibly)
{
    const fs::path corpus = path("corpus.txt");
    std::ofstream(corpus) << wordsText(6000);
    const fs::path checkpoint = path("gpt.ckpt");
    const RunResult train = lpm("train --model gpt-mini --dataset text:" + quote(corpus.string())
                                + " --steps 2 --batch 4 --optimizer adamw --no-eval --quiet --save-checkpoint "
                                + quote(checkpoint.string()));
    ASSERT_EQ(train.exitCode, 0) << train.err;
    const std::string generate = "generate --checkpoint " + quote(checkpoint.string()) + " --prompt 'the stage' ";
    const RunResult first = lpm(generate + "--tokens 40 --seed 3");
    ASSERT_EQ(first.exitCode, 0) << first.err;
    // The prompt, 40 drawn bytes, a newline.
    ASSERT_EQ(first.out.size(), std::string("the stage").size() + 40 + 1) << first.out;
    EXPECT_EQ(first.out.substr(0, 9), "the stage");
    EXPECT_EQ(first.out.back(), '\n');
    EXPECT_EQ(lpm(generate + "--tokens 40 --seed 3").out, first.out);
    EXPECT_NE(lpm(generate + "--tokens 40 --seed 4").out, first.out); // 40 draws at temperature 1
    // Temperature 0 takes the likeliest byte: the seed no longer matters.
    const RunResult greedy = lpm(generate + "--tokens 20 --temperature 0 --seed 1");
    ASSERT_EQ(greedy.exitCode, 0) << greedy.err;
    EXPECT_EQ(lpm(generate + "--tokens 20 --temperature 0 --seed 2").out, greedy.out);
}

TEST_F(Cli, GenerateRefusesWhatIsNotALanguageModelCheckpoint)
{
    const fs::path checkpoint = path("mlp.ckpt");
    const RunResult train = lpm("train --model mlp --dataset synthetic --steps 1 --batch 8 --no-eval --quiet "
                                "--save-checkpoint "
                                + quote(checkpoint.string()));
    ASSERT_EQ(train.exitCode, 0) << train.err;
    expectOneLineError(lpm("generate --checkpoint " + quote(checkpoint.string())),
                       {checkpoint.string(), "mlp is not a byte-level language model"});
    const fs::path text = path("notes.txt");
    std::ofstream(text) << "not a checkpoint";
    expectOneLineError(lpm("generate --checkpoint " + quote(text.string())), {text.string(), "not an LPM checkpoint"});
    EXPECT_NE(lpm("generate --checkpoint " + quote(checkpoint.string()) + " --temperature -1").exitCode, 0);
}

TEST_F(Cli, ResumingChecksTheScheduleAndClipping)
{
    const fs::path corpus = path("corpus.txt");
    std::ofstream(corpus) << wordsText(6000);
    const fs::path checkpoint = path("gpt.ckpt");
    const std::string run = "train --model gpt-mini --dataset text:" + quote(corpus.string())
                            + " --batch 4 --optimizer adamw --lr-schedule cosine --warmup-steps 1 --no-eval --quiet ";
    const RunResult first = lpm(run + "--steps 2 --clip-grad-norm 1 --save-checkpoint " + quote(checkpoint.string()));
    ASSERT_EQ(first.exitCode, 0) << first.err;
    const std::string resume = run + "--steps 1 --load-checkpoint " + quote(checkpoint.string());
    expectOneLineError(lpm(resume + " --decay-steps 2 --clip-grad-norm 2"),
                       {checkpoint.string(), "--clip-grad-norm 1,", "this run uses 2"});
    expectOneLineError(lpm(resume + " --decay-steps 3 --clip-grad-norm 1"),
                       {checkpoint.string(), "--decay-steps 2", "this run uses 3"});
    // Without --decay-steps the one-step run's own horizon is too short for its warm-up.
    expectOneLineError(lpm(resume + " --clip-grad-norm 1"), {"--decay-steps", "resumed run"});
    const RunResult resumed = lpm(resume + " --decay-steps 2 --clip-grad-norm 1");
    EXPECT_EQ(resumed.exitCode, 0) << resumed.err;
    EXPECT_THAT(resumed.out, HasSubstr("global step 3"));
}

TEST_F(Cli, TextTooShortForTheContextIsRefused)
{
    const fs::path corpus = path("short.txt");
    std::ofstream(corpus) << wordsText(100);
    expectOneLineError(lpm("train --model gpt-mini --dataset text:" + quote(corpus.string()) + " --steps 1 --quiet"),
                       {"short.txt", "has 100 bytes, too short for context 64", "at least 130"});
    expectOneLineError(lpm("train --model mlp --dataset text:" + quote(corpus.string()) + " --steps 1 --quiet"),
                       {"text is for language models"});
    expectOneLineError(lpm("train --model gpt-mini --dataset synthetic --steps 1 --quiet"),
                       {"dataset synthetic", "gpt-mini is a language model", "text:PATH"});
}

TEST_F(Cli, TinyTrainingRunWritesJson)
{
    const fs::path report = path("run.json");
    const std::string arguments =
        "train --model mlp --dataset synthetic --steps 20 --batch 32 --quiet --json " + quote(report.string());
    const RunResult result = lpm(arguments);
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_EQ(result.err, ""); // --quiet: no progress output
    EXPECT_THAT(result.out, HasSubstr("20 steps"));

    const json summary = readJson(report);
    EXPECT_EQ(summary.at("command"), "train");
    EXPECT_EQ(summary.at("model"), "mlp");
    EXPECT_EQ(summary.at("dataset"), "synthetic");
    EXPECT_EQ(summary.at("batch").get<int64_t>(), 32);
    EXPECT_EQ(summary.at("steps").get<int64_t>(), 20);
    EXPECT_EQ(summary.at("global_step").get<int64_t>(), 20);
    EXPECT_EQ(summary.at("seed").get<int64_t>(), 1);
    EXPECT_EQ(summary.at("optimizer"), "sgd");
    EXPECT_NEAR(summary.at("learning_rate").get<double>(), 0.05, 1e-6);
    EXPECT_FALSE(summary.at("stopped").get<bool>());
    EXPECT_TRUE(summary.at("evaluated").get<bool>());
    // 20 steps of SGD on the synthetic classes lift the accuracy above chance (0.1).
    const double accuracy = summary.at("test_accuracy").get<double>();
    EXPECT_GT(accuracy, 0.2);
    EXPECT_LE(accuracy, 1.0);
    EXPECT_GT(summary.at("samples_per_second").get<double>(), 0.0);
    EXPECT_GT(summary.at("training_seconds").get<double>(), 0.0);
    const std::string digest = summary.at("weights_digest");
    EXPECT_THAT(digest, testing::MatchesRegex("[0-9a-f]{16}"));
    EXPECT_THAT(result.out, HasSubstr(digest));
    EXPECT_EQ(entries(), std::vector<std::string>{"run.json"}); // no temporaries left

    // The same command again: the same weights.
    const RunResult again = lpm(arguments);
    ASSERT_EQ(again.exitCode, 0) << again.err;
    EXPECT_EQ(readJson(report).at("weights_digest"), digest);

    // Another seed: other weights.
    const RunResult otherSeed = lpm(arguments + " --seed 2");
    ASSERT_EQ(otherSeed.exitCode, 0) << otherSeed.err;
    EXPECT_NE(readJson(report).at("weights_digest"), digest);
}

// Live evaluation: the progress line shows the subset's accuracy, the summary
// counts the evaluations, and --no-live-eval leaves the weights as they are,
// sequential and pipelined.
TEST_F(Cli, LiveEvaluationShowsTheSubsetAccuracyAndLeavesTheWeights)
{
    for (const std::string schedule : {"", " --devices cpu:2 --schedule lpm-async --micro-batches 4"}) {
        SCOPED_TRACE(schedule);
        const std::string arguments = "train --model mlp --dataset synthetic --steps 20 --batch 32" + schedule
                                      + " --json " + quote(path("run.json").string());
        const RunResult live = lpm(arguments);
        ASSERT_EQ(live.exitCode, 0) << live.err;
        EXPECT_THAT(live.err, HasSubstr("subset acc 0."));
        EXPECT_THAT(live.out, HasSubstr("live evaluation: "));
        const json on = readJson(path("run.json"));
        EXPECT_GE(on.at("live_evaluations").get<int64_t>(), 20);
        EXPECT_EQ(on.at("live_evaluation_samples").get<int64_t>(), 64); // 640 samples trained: the least

        const RunResult plain = lpm(arguments + " --no-live-eval");
        ASSERT_EQ(plain.exitCode, 0) << plain.err;
        EXPECT_THAT(plain.err, Not(HasSubstr("subset acc")));
        const json off = readJson(path("run.json"));
        EXPECT_EQ(off.at("live_evaluations").get<int64_t>(), 0);
        EXPECT_EQ(off.at("weights_digest"), on.at("weights_digest"));
        EXPECT_EQ(off.at("test_accuracy"), on.at("test_accuracy"));
    }
}

TEST_F(Cli, ProgressGoesToStderrWithoutQuiet)
{
    const RunResult result = lpm("train --model mlp --dataset synthetic --steps 3 --batch 32 "
                                 "--no-eval");
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.err, HasSubstr("training mlp"));
    EXPECT_THAT(result.out, HasSubstr("weights digest"));
    EXPECT_THAT(result.out, Not(HasSubstr("test accuracy"))); // --no-eval
}

TEST_F(Cli, ResumeFromCheckpointEqualsAStraightRun)
{
    const fs::path checkpoint = path("model.ckpt");
    const fs::path straightJson = path("straight.json");
    const fs::path firstJson = path("first.json");
    const fs::path resumedJson = path("resumed.json");
    const std::string common = "train --model mlp --dataset synthetic --batch 32 --optimizer adam --quiet --no-eval ";

    const RunResult straight = lpm(common + "--steps 30 --json " + quote(straightJson.string()));
    ASSERT_EQ(straight.exitCode, 0) << straight.err;
    const RunResult first = lpm(common + "--steps 20 --json " + quote(firstJson.string()) + " --save-checkpoint "
                                + quote(checkpoint.string()));
    ASSERT_EQ(first.exitCode, 0) << first.err;
    ASSERT_TRUE(fs::exists(checkpoint));
    const RunResult resumed = lpm(common + "--steps 10 --json " + quote(resumedJson.string()) + " --load-checkpoint "
                                  + quote(checkpoint.string()));
    ASSERT_EQ(resumed.exitCode, 0) << resumed.err;

    const json a = readJson(straightJson), b = readJson(firstJson), c = readJson(resumedJson);
    EXPECT_EQ(c.at("steps").get<int64_t>(), 10);
    EXPECT_EQ(c.at("global_step").get<int64_t>(), 30);
    EXPECT_NE(b.at("weights_digest"), a.at("weights_digest"));
    EXPECT_EQ(c.at("weights_digest"), a.at("weights_digest"));
    EXPECT_EQ(entries(), (std::vector<std::string>{"first.json", "model.ckpt", "resumed.json", "straight.json"}));
}

// --- models ---------------------------------------------------------------------------

TEST_F(Cli, ModelsListsTheZoo)
{
    const RunResult result = lpm("models");
    EXPECT_EQ(result.exitCode, 0) << result.err;
    for (const std::string& model : kModels)
        EXPECT_THAT(result.out, HasSubstr(model));
}

TEST_F(Cli, ModelsJson)
{
    const fs::path report = path("models.json");
    const RunResult result = lpm("models --json " + quote(report.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    const json document = readJson(report);
    const json& models = document.at("models");
    ASSERT_TRUE(models.is_array());
    ASSERT_EQ(models.size(), kModels.size());
    for (size_t index = 0; index < kModels.size(); ++index) {
        const json& model = models[index];
        SCOPED_TRACE(kModels[index]);
        EXPECT_EQ(model.at("name"), kModels[index]);
        const json& units = model.at("units");
        ASSERT_TRUE(units.is_array());
        ASSERT_FALSE(units.empty());
        double flops = 0.0, parameterBytes = 0.0;
        for (const json& unit : units) {
            for (const char* field : {"forward_flops", "parameter_bytes", "output_bytes", "saved_bytes"}) {
                ASSERT_TRUE(unit.contains(field)) << field;
                EXPECT_TRUE(unit.at(field).is_number()) << field;
                EXPECT_GE(unit.at(field).get<double>(), 0.0) << field;
            }
            EXPECT_GT(unit.at("output_bytes").get<double>(), 0.0);
            flops += unit.at("forward_flops").get<double>();
            parameterBytes += unit.at("parameter_bytes").get<double>();
        }
        EXPECT_GT(flops, 0.0);
        EXPECT_GT(parameterBytes, 0.0);
    }
    // The mlp: 784·512 + 512 + 512·256 + 256 + 256·10 + 10 parameters of 4 bytes.
    double mlpBytes = 0.0;
    for (const json& unit : models[0].at("units"))
        mlpBytes += unit.at("parameter_bytes").get<double>();
    EXPECT_EQ(mlpBytes, 4.0 * (784 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10));
}

TEST_F(Cli, ModelsSingleModel)
{
    const RunResult result = lpm("models lenet5");
    EXPECT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr("lenet5"));
    EXPECT_THAT(result.out, Not(HasSubstr("vgg-mini")));
}

} // namespace

// --- pipelined training -----------------------------------------------------------

namespace {

TEST_F(Cli, PipelinedTrainingMatchesSequentialAndReportsTheTimeline)
{
    const fs::path report = path("run.json");
    const fs::path trace = path("trace.json");
    const RunResult result = lpm("train --model lenet5 --dataset synthetic --steps 6 --batch 32 --micro-batches 4 "
                                 "--devices cpu:2 --schedule 1f1b --compare-sequential --quiet --json "
                                 + quote(report.string()) + " --trace " + quote(trace.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr("measured"));
    EXPECT_THAT(result.out, HasSubstr("weights identical"));
    const json document = readJson(report);
    EXPECT_EQ(document.at("weights_difference_from_sequential").get<double>(), 0.0);
    EXPECT_EQ(document.at("schedule"), "1f1b");
    EXPECT_EQ(document.at("stage_count"), 2);
    EXPECT_EQ(document.at("weights_equal_sequential"), true);
    EXPECT_EQ(document.at("optimizer_state_equal_sequential"), true);
    EXPECT_EQ(document.at("optimizer_state_digest").get<std::string>().size(), 16u);
    for (const char* field :
         {"measured_iteration_ms", "predicted_iteration_ms", "predicted_run_iteration_ms", "speedup_vs_sequential"})
        EXPECT_GT(document.at(field).get<double>(), 0.0) << field;
    // 1f1b flushes every mini-batch, so a run's mini-batches each take the steady-state period.
    EXPECT_NEAR(document.at("predicted_run_iteration_ms").get<double>(),
                document.at("predicted_iteration_ms").get<double>(),
                1e-9 * document.at("predicted_iteration_ms").get<double>());
    const double bubble = document.at("bubble_fraction").get<double>();
    EXPECT_GE(bubble, 0.0);
    EXPECT_LT(bubble, 1.0);
    ASSERT_EQ(document.at("stages").size(), 2u);
    int forwards = 0;
    const json events = readJson(trace).at("traceEvents");
    for (const json& event : events)
        forwards += event.at("ph") == "X" && event.at("cat") == "forward";
    EXPECT_EQ(forwards, 6 * 4 * 2);
}

// Recomputation on every stage: the run says so and still leaves sequential's
// weights (vgg-mini: batch norm and dropout), also under sequential itself.
TEST_F(Cli, TrainingWithRecomputationStillMatchesSequential)
{
    const fs::path report = path("recompute.json");
    const std::string common = "train --model vgg-mini --dataset synthetic --steps 2 --batch 16 --micro-batches 4 "
                               "--recompute --compare-sequential --quiet";
    const RunResult result = lpm(common + " --schedule zb-h1 --json " + quote(report.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr("(recomputing)"));
    EXPECT_THAT(result.out, HasSubstr("weights identical"));
    const json document = readJson(report);
    ASSERT_EQ(document.at("stages").size(), 2u);
    for (const json& stage : document.at("stages"))
        EXPECT_TRUE(stage.at("recompute").get<bool>());
    const RunResult sequential = lpm(common + " --schedule sequential");
    ASSERT_EQ(sequential.exitCode, 0) << sequential.err;
    EXPECT_THAT(sequential.out, HasSubstr("sequential on cpu:1, 1 stages: units 0-"));
    EXPECT_THAT(sequential.out, HasSubstr("weights identical"));
    expectOneLineError(lpm("train --plan " + quote(report.string()) + " --recompute"), {"--recompute", "--plan"});
}

// Interleaved 1F1B on two cores: four stages, two on each core's thread,
// still sequential's weights; its shape errors name what to change.
TEST_F(Cli, InterleavedTrainingRunsTwoChunksPerCoreAndMatchesSequential)
{
    const fs::path report = path("interleaved.json");
    const std::string common =
        "train --model lenet5 --dataset synthetic --steps 2 --devices cpu:2 --schedule interleaved --quiet";
    const RunResult result =
        lpm(common + " --batch 16 --micro-batches 4 --compare-sequential --json " + quote(report.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr("interleaved on cpu:2, 4 stages"));
    EXPECT_THAT(result.out, HasSubstr("weights identical"));
    const json document = readJson(report);
    EXPECT_EQ(document.at("stage_count"), 4);
    EXPECT_EQ(document.at("chunks"), 2);
    ASSERT_EQ(document.at("stages").size(), 4u);
    EXPECT_EQ(document.at("stages")[2].at("device"), "cpu:0/1");
    expectOneLineError(lpm(common + " --batch 18 --micro-batches 3"), {"not a multiple of the 2 devices"});
    expectOneLineError(lpm("train --model lenet5 --dataset synthetic --steps 1 --devices cpu:2 --chunks 2 --quiet"),
                       {"--chunks 2 applies to --schedule interleaved only"});
}

// Issue 18: before a pipelined run trains, it prints the plan's speedup
// ceiling, bottleneck and suggestion (as `lpm plan` does for the same costs),
// and its --json carries them.
TEST_F(Cli, PipelinedTrainingPrintsThePlansCeilingBeforeItTrains)
{
    const fs::path costs = exampleCnnCosts();
    const fs::path planned = path("plan.json");
    const fs::path trained = path("run.json");
    ASSERT_EQ(lpm("plan --model cnn --devices cpu:2 --quiet --costs " + quote(costs.string()) + " --json "
                  + quote(planned.string()))
                  .exitCode,
              0);
    // `lpm plan`'s batch and micro-batches (train's default is one micro-batch).
    const RunResult result = lpm("train --model cnn --dataset synthetic --steps 1 --devices cpu:2 "
                                 "--batch 64 --micro-batches 4 --costs "
                                 + quote(costs.string()) + " --json " + quote(trained.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    const size_t ceiling = result.err.find("ceiling: a layer-wise cut on these 2 devices");
    ASSERT_NE(ceiling, std::string::npos) << result.err;
    EXPECT_LT(result.err.find("training cnn"), ceiling);
    EXPECT_LT(ceiling, result.err.find("suggestion: schedule dp"));
    EXPECT_LT(ceiling, result.err.find("loss")); // the progress comes after
    const json run = readJson(trained);
    const json plan = readJson(planned);
    EXPECT_DOUBLE_EQ(run.at("speedup_ceiling").get<double>(), plan.at("speedup_ceiling").get<double>());
    EXPECT_EQ(run.at("bottleneck"), plan.at("bottleneck"));
    EXPECT_EQ(run.at("suggestion"), plan.at("suggestion"));
    EXPECT_EQ(run.at("suggestion").at("schedule"), "dp");
    // --quiet: nothing on stderr, the advice included.
    EXPECT_EQ(
        lpm("train --model cnn --dataset synthetic --steps 1 --devices cpu:2 --quiet --costs " + quote(costs.string()))
            .err,
        "");
}

// dp sums gradients in another order than sequential: its weights are close
// to sequential's, not equal. (A dp that dropped a replica's gradients would
// be a percent or more away.) Its batch-norm running statistics are close too:
// replica 0 replays every replica's updates in micro-batch order (executor.h).
// Before it did, resnet-mini's were replica 0's micro-batches' alone, 30 %
// apart after 4 steps. Three replicas on four micro-batches share unevenly.
TEST_F(Cli, DataParallelTrainingStaysCloseToSequential)
{
    for (const auto& [model, devices] :
         {std::pair{"lenet5", "cpu:2"}, {"resnet-mini", "cpu:2"}, {"resnet-mini", "cpu:3"}}) {
        SCOPED_TRACE(std::string(model) + " on " + devices);
        const fs::path report = path(std::string(model) + "-dp.json");
        const RunResult result =
            lpm("train --model " + std::string(model)
                + " --dataset synthetic --steps 4 --batch 16 --micro-batches 4 --devices " + devices
                + " --schedule dp --compare-sequential --quiet --json " + quote(report.string()));
        ASSERT_EQ(result.exitCode, 0) << result.err;
        EXPECT_THAT(result.out, HasSubstr("dp on " + std::string(devices) + ", "));
        EXPECT_THAT(result.out, HasSubstr("weights differ by up to"));
        const json document = readJson(report);
        EXPECT_FALSE(document.at("weights_equal_sequential").get<bool>());
        const double difference = document.at("weights_difference_from_sequential").get<double>();
        EXPECT_GT(difference, 0.0);
        EXPECT_LT(difference, 1e-4);
        const double buffers = document.at("buffers_difference_from_sequential").get<double>();
        if (std::string(model) == "lenet5") {
            EXPECT_EQ(buffers, 0.0); // none
        } else {
            EXPECT_LT(buffers, 1e-4);
        }
    }
}

TEST_F(Cli, LpmAsyncWithWeightStashing)
{
    const fs::path report = path("run.json");
    const RunResult result = lpm("train --model lenet5 --dataset synthetic --steps 4 --batch 16 --micro-batches 2 "
                                 "--devices cpu:3 --schedule lpm-async --weight-stash --quiet --json "
                                 + quote(report.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_EQ(readJson(report).at("weight_stash"), true);
    EXPECT_EQ(readJson(report).at("schedule"), "lpm-async");
}

TEST_F(Cli, PipelinedTrainingRunsASavedPlan)
{
    const fs::path planFile = path("plan.json");
    ASSERT_EQ(
        lpm("plan --model mlp --devices cpu:2 --batch 16 --micro-batches 2 --quiet --out " + quote(planFile.string()))
            .exitCode,
        0);
    const RunResult result = lpm("train --plan " + quote(planFile.string()) + " --dataset synthetic --steps 3 --quiet");
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr("lpm on cpu:2"));
}

TEST_F(Cli, APlanThatDoesNotFitItsDevicesMemoryIsRefusedBeforeTraining)
{
    const fs::path planFile = path("plan.json");
    ASSERT_EQ(
        lpm("plan --model mlp --devices cpu:2 --batch 16 --micro-batches 2 --quiet --out " + quote(planFile.string()))
            .exitCode,
        0);
    json plan = readJson(planFile);
    plan["devices"][1]["memory_bytes"] = 4096; // far below stage 1's weights
    std::ofstream(planFile) << plan.dump(2);
    expectOneLineError(lpm("train --plan " + quote(planFile.string()) + " --dataset synthetic --steps 1 --quiet"),
                       {"stage 1", "needs", "more than its 4096", "--schedule auto"});
}

TEST_F(Cli, CostsCalibratedOnARunPlanTheNextOne)
{
    const fs::path costs = path("calibrated.json");
    const std::string run = "--model lenet5 --dataset synthetic --batch 32 --micro-batches 4 --devices cpu:2 ";
    RunResult result = lpm("train " + run + "--steps 3 --schedule 1f1b --quiet --save-costs " + quote(costs.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr("costs calibrated on this run written to"));
    const json written = readJson(costs);
    EXPECT_EQ(written.at("format"), "lpm-costs");
    EXPECT_EQ(written.at("model"), "lenet5");
    EXPECT_THAT(written.at("devices").at(0).at("source").get<std::string>(),
                HasSubstr("calibrated on a measured 1f1b run on cpu:2"));

    // Planned from the file, not from a new profile: `lpm plan` and `lpm train` predict the same.
    const fs::path planned = path("plan.json");
    const fs::path trained = path("run.json");
    ASSERT_EQ(lpm("plan --model lenet5 --devices cpu:2 --batch 32 --micro-batches 4 --schedule lpm --costs "
                  + quote(costs.string()) + " --json " + quote(planned.string()))
                  .exitCode,
              0);
    result = lpm("train " + run + "--steps 2 --schedule lpm --costs " + quote(costs.string()) + " --json "
                 + quote(trained.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.err, Not(HasSubstr("profiling")));
    EXPECT_DOUBLE_EQ(readJson(trained).at("predicted_iteration_ms").get<double>(),
                     readJson(planned).at("predicted_iteration_ms").get<double>());
    EXPECT_THAT(result.err, Not(HasSubstr("calibrated on")));
    // Costs calibrated on a pipeline are not what dp's replicas run at: a note says so.
    result = lpm("plan --model lenet5 --devices cpu:2 --batch 32 --micro-batches 4 --schedule dp --costs "
                 + quote(costs.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.err, HasSubstr("calibrated on a 1f1b run"));
    EXPECT_THAT(result.err, HasSubstr("calibrate dp on a dp run"));

    expectOneLineError(lpm("train --dataset synthetic --steps 1 --save-costs " + quote(costs.string())),
                       {"--save-costs", "pipelined"});
    expectOneLineError(lpm("train --dataset synthetic --steps 1 --devices cpu:2 --costs " + quote(planned.string())),
                       {planned.filename().string(), "format"});
}

TEST_F(Cli, PipelinedTrainingErrors)
{
    expectOneLineError(lpm("train --dataset synthetic --devices catalog:H100x2"),
                       {"H100#0", "catalogue devices are for planning"});
    expectOneLineError(lpm("train --dataset synthetic --trace t.json"), {"--trace", "pipelined"});
    expectOneLineError(lpm("train --dataset synthetic --schedule zigzag"), {"--schedule"});
    expectOneLineError(lpm("train --dataset synthetic --steps 1 --devices cpu:2 --schedule lpm --weight-stash"),
                       {"weight stashing applies to lpm-async only"});
    expectOneLineError(lpm("train --dataset synthetic --devices cpu:2 --batch 30 --micro-batches 4"),
                       {"4 micro-batches do not divide the batch 30"});
    std::ofstream(path("plan.json")) << "{}";
    expectOneLineError(lpm("train --plan " + quote(path("plan.json").string()) + " --batch 8"), {"--batch", "--plan"});
}

TEST_F(Cli, GpuTrainingErrorsAreOneLine)
{
    expectOneLineError(lpm("train --dataset synthetic --steps 1 --backend cuda --devices cpu:2"),
                       {"--backend cuda with --devices cpu:2", "cuda:KxN"});
    expectOneLineError(lpm("train --dataset synthetic --steps 1 --tf32"), {"--tf32", "GPU runs only"});
    expectOneLineError(lpm("train --dataset synthetic --steps 1 --devices catalog:H100x2"),
                       {"catalog", "for planning"});
    expectOneLineError(lpm("train --dataset synthetic --steps 1 --devices cpu:1,cuda:0"),
                       {"devices cpu:1,cuda:0", "CPU stages only or on GPU stages only"});
    expectOneLineError(lpm("train --dataset synthetic --steps 1 --backend tpu"), {"unknown backend 'tpu'"});
    const RunResult result = lpm("devices --json " + quote(path("devices.json").string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    std::ifstream file(path("devices.json"));
    const json gpu = json::parse(file).at("gpu");
    if (!gpu.at("cuda_built").get<bool>()) { // a build without the CUDA toolkit says so instead
        expectOneLineError(lpm("train --dataset synthetic --steps 1 --backend cuda"),
                           {"'cuda'", "this build has no CUDA backend"});
    } else if (gpu.at("devices").empty()) {
        expectOneLineError(lpm("train --dataset synthetic --steps 1 --backend cuda"), {"'cuda'", "no GPU"});
        expectOneLineError(lpm("train --dataset synthetic --steps 1 --devices cuda:0x2"), {"cuda:0/0", "no GPU"});
        expectOneLineError(lpm("train --dataset synthetic --steps 1 --backend cuda --schedule lpm"),
                           {"cuda:0/0", "no GPU"});
    }
}

} // namespace
