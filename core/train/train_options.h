// What a training run is asked to do and what it reports, as plain values:
// the trainer (trainer.h), the training session (training_session.h), the CLI
// and the GUI share them. No tensor or backend headers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "optim/optimizer_options.h"
#include "plan/partition_problem.h"

namespace lpm {

struct TrainOptions {
    std::string model = "cnn";
    int64_t epochs = 1;
    int64_t steps = 0;         // when > 0, run this many steps instead of epochs
    int64_t batch = 64;
    int64_t microBatches = 1;  // gradient accumulation inside one step
    OptimizerOptions optimizer;
    uint64_t seed = 1;
    int threads = 1;
    std::string backend = "cpu"; // cpu, or cuda / cuda:N (a GPU; needs a CUDA build); pipelined
                                 // stages then each get their own stream on that GPU
    bool tf32 = false;           // cuda: allow TF32 tensor cores
    bool evaluate = true;      // evaluate on the test set at each epoch's end and at the end
    int64_t evaluationBatch = 500;
    std::string schedule = "sequential"; // or gpipe, 1f1b, lpm, lpm-async (run by the executor)
    Partition stages;                    // pipelined: stage k's units, covering the model in order
    // Pipelined: stage k's backend ("cpu", "cuda:K"); empty: each stage gets
    // one of `backend`'s kind (a core, or a stream on its GPU). A stage on
    // another GPU than the weights trains a copy of its own there.
    std::vector<std::string> stageBackends;
    bool weightStash = false;            // lpm-async: backwards use their forward's weights
};

struct TrainProgress {
    int64_t step = 0;          // steps done in this run
    int64_t totalSteps = 0;    // steps this run will do
    int64_t globalStep = 0;    // steps since initialisation (continues across resumes)
    int64_t epoch = 0;         // epoch of the last step (0-based)
    int64_t batchesPerEpoch = 1; // globalStep / batchesPerEpoch: epochs done, with fractions
    double meanLoss = 0.0;     // mean training loss since the last report
    double trainingSeconds = 0.0; // training steps only
    double wallSeconds = 0.0;     // since the run started, data loading and evaluation included
    double samplesPerSecond = 0.0;
    bool evaluated = false;    // true when the fields below are fresh
    double testLoss = 0.0;
    double testAccuracy = 0.0;
};

struct TrainSummary {
    int64_t steps = 0;         // steps done in this run
    int64_t globalStep = 0;
    double epochs = 0.0;       // globalStep / batches per epoch
    double trainLoss = 0.0;    // mean loss over the last epoch's steps (or the run's, if shorter)
    double trainAccuracy = 0.0;
    double testLoss = 0.0;
    double testAccuracy = 0.0; // in [0, 1]; 0 when not evaluated
    bool evaluated = false;
    double trainingSeconds = 0.0; // training steps only: no data loading, no evaluation
    double samplesPerSecond = 0.0;
    bool stopped = false;      // a stop request ended the run early
    std::string weightsDigest;
    int stages = 1;
    // Pipelined: the mini-batches asked of each executor run (an epoch's, or
    // the run's up to its end), each filling and draining the pipeline once;
    // after a stop, the last one finished fewer.
    std::vector<int64_t> segmentSteps;
};

} // namespace lpm
