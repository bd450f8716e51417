// What a training run is asked to do and what it reports, as plain values:
// the trainer (trainer.h), the training session (training_session.h), the CLI
// and the GUI share them. No tensor or backend headers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "optim/optimizer_options.h"
#include "plan/partition_problem.h"
#include "schedule/schedule.h"

namespace lpm {

// Live evaluation: the test-set samples evaluated while a run trains (a
// fixed subset drawn by the seed); the wall time after which a step is
// evaluated even between the run's every-5 %-of-the-steps ones, stretched
// where needed so that these timed ones take at most kLiveEvaluationShare of
// the wall time (evaluation / interval).
inline constexpr int64_t kLiveEvaluationSamples = 256;   // at most, per evaluation
inline constexpr int64_t kLiveEvaluationMinSamples = 64; // at least (fewer when the test set is smaller)
// A run's 20 every-5 % evaluations cost 20·k forward passes against about
// 3·N sample-passes of training N samples; k = this share of N keeps them near
// 1.7 % of the training compute (about 3 % of a 2-core pipeline's wall time,
// which they share), between the two bounds above.
inline constexpr double kLiveEvaluationSamplesPerTrainingSample = 0.0025;
inline constexpr double kLiveEvaluationSeconds = 3.0;
inline constexpr double kLiveEvaluationShare = 0.03;
// A language model's sample after a live evaluation (the studio shows it):
// the first kLiveSamplePromptBytes of the subset's first window, continued
// by TrainOptions::liveSampleBytes bytes at kLiveSampleTemperature; with the
// first live evaluation of a run, then with the first one at least
// kLiveSampleSeconds after the last sample. (A sample of gpt-mini costs about
// as much as evaluating 100 windows: one with every evaluation of a 2-core
// pipeline took its speedup from 1.61x to 1.46x.)
inline constexpr int64_t kLiveSamplePromptBytes = 24;
inline constexpr int64_t kLiveSampleBytes = 64;
inline constexpr float kLiveSampleTemperature = 0.8f;
inline constexpr double kLiveSampleSeconds = 10.0;

struct TrainOptions {
    std::string model = "cnn";
    int64_t epochs = 1;
    int64_t steps = 0; // when > 0, run this many steps instead of epochs
    int64_t batch = 64;
    int64_t microBatches = 1; // gradient accumulation inside one step
    OptimizerOptions optimizer;
    uint64_t seed = 1;
    int threads = 1;
    std::string backend = "cpu"; // cpu, or cuda / cuda:N (a GPU; needs a CUDA build); pipelined
                                 // stages then each get their own stream on that GPU
    bool tf32 = false;           // cuda: allow TF32 tensor cores
    bool evaluate = true;        // evaluate on the test set at each epoch's end and at the end
    int64_t evaluationBatch = 500;
    // With `evaluate`: while training, evaluate up to liveEvaluationSamples samples
    // of the test set (liveEvaluationSamplesFor) after every max(1, steps / 20)-th
    // step, the last, and about every kLiveEvaluationSeconds (live_evaluation.h).
    // The weights do not depend on it.
    bool liveEvaluation = true;
    int64_t liveEvaluationSamples = kLiveEvaluationSamples;
    // Language models on a CPU backend: bytes of text generated after each live
    // evaluation (TrainProgress::samplePrompt, sampleText); 0: none. Its time
    // counts as the evaluation's, so the cadence above keeps both within the share.
    int64_t liveSampleBytes = 0;
    std::string schedule = kSequentialSchedule; // or any other of scheduleNames() (run by the executor)
    int chunks = 1;                             // interleaved: model chunks (stages) per worker thread
    Partition stages;                           // pipelined: stage k's units, covering the model in order
    // Pipelined: stage k's backend ("cpu", "cuda:K"); empty: each stage gets
    // one of `backend`'s kind (a core, or a stream on its GPU). A stage on
    // another GPU than the weights trains a copy of its own there.
    std::vector<std::string> stageBackends;
    bool weightStash = false; // lpm-async: backwards use their forward's weights
};

struct TrainProgress {
    int64_t step = 0;             // steps done in this run
    int64_t totalSteps = 0;       // steps this run will do
    int64_t globalStep = 0;       // steps since initialisation (continues across resumes)
    int64_t epoch = 0;            // epoch of the last step (0-based)
    int64_t batchesPerEpoch = 1;  // globalStep / batchesPerEpoch: epochs done, with fractions
    double meanLoss = 0.0;        // mean training loss since the last report
    double trainingSeconds = 0.0; // training steps only
    double wallSeconds = 0.0;     // since the run started, data loading and evaluation included
    double samplesPerSecond = 0.0;
    bool evaluated = false; // true when the fields below are fresh
    double testLoss = 0.0;
    double testAccuracy = 0.0;
    // Live evaluation (TrainOptions::liveEvaluation): the test subset, evaluated
    // on the weights after step `step` while training goes on.
    bool subsetEvaluated = false; // true when the subset fields below are fresh
    int64_t subsetSize = 0;       // samples in the subset; 0 until the first live evaluation
    double subsetLoss = 0.0;      // mean loss per sample
    double subsetAccuracy = 0.0;  // in [0, 1]; kept until the next live evaluation
    // With TrainOptions::liveSampleBytes: the text the model continued, and
    // its continuation, on the same weights (empty otherwise).
    std::string samplePrompt;
    std::string sampleText;
};

struct TrainSummary {
    int64_t steps = 0; // steps done in this run
    int64_t globalStep = 0;
    double epochs = 0.0;    // globalStep / batches per epoch
    double trainLoss = 0.0; // mean loss over the last epoch's steps (or the run's, if shorter)
    double trainAccuracy = 0.0;
    double testLoss = 0.0;
    double testAccuracy = 0.0; // in [0, 1]; 0 when not evaluated
    bool evaluated = false;
    double trainingSeconds = 0.0; // training steps only: no data loading, no evaluation
    double samplesPerSecond = 0.0;
    int64_t liveEvaluations = 0;        // evaluations of the test subset during the run
    int64_t liveEvaluationSamples = 0;  // the subset's size (liveEvaluationSamplesFor the run)
    double liveEvaluationSeconds = 0.0; // wall time they took (pipelined: while the stages trained)
    bool stopped = false;               // a stop request ended the run early
    std::string weightsDigest;
    std::string optimizerStateDigest; // optimizerStateDigest: the momentum (Adam: moments) and step count
    int stages = 1;
    // Pipelined: the mini-batches asked of each executor run (an epoch's, or
    // the run's up to its end), each filling and draining the pipeline once;
    // after a stop, the last one finished fewer.
    std::vector<int64_t> segmentSteps;
};

} // namespace lpm
