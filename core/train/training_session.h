// A training session: what one press of Start does, as plain values in and
// out, so that a caller without tensor headers (the GUI's controller, through
// its worker thread) can run it. It loads and standardizes the data set,
// trains (sequentially or pipelined, as train.schedule and train.stages say),
// and with compareSequential then runs the same steps under sequential on one
// core as the reference. Events arrive on the calling thread or on a stage
// thread; they must be cheap and must not throw.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "schedule/timeline.h"
#include "train/train_options.h"

namespace lpm {

struct SessionRequest {
    TrainOptions train;
    std::string dataset = "fashion-mnist"; // "fashion-mnist", "synthetic" or an MNIST-format folder
    bool compareSequential = false;        // pipelined: then the same steps under sequential
};

struct SessionProgress {
    bool reference = false; // true: the sequential reference run, false: the requested run
    TrainProgress progress;
};

// A phase of a session begins. A value, not a sentence, so that the window
// can say it in its own language; text() is the English for terminals.
struct SessionStatus {
    enum class Phase { LoadingData, Training, TrainingReference };
    Phase phase = Phase::LoadingData;
    std::string dataset;      // LoadingData
    std::string model;        // Training
    std::string schedule;     // Training
    std::string text() const; // "loading synthetic", "training cnn under lpm", ...
};

struct SessionEvents {
    std::function<void(const SessionStatus&)> status;     // a phase begins
    std::function<void(const SessionProgress&)> progress; // every few steps and after every evaluation
    std::function<void(const Timeline&)> timeline;        // each pipelined segment's measured timeline
};

// Asks a running session to pause, resume or stop. Pausing takes effect at
// the next progress report (every step); stopping ends the run within a step
// (sequential) or at once (pipelined, rolled back to the last whole step).
struct SessionControl {
    std::atomic<bool> stop{false};
    std::atomic<bool> pause{false};
};

struct SessionResult {
    TrainSummary summary;
    std::optional<TrainSummary> reference; // compareSequential, when the run was not stopped
    Timeline timeline;                     // the last measured pipelined segment; empty under sequential
};

// The options of the sequential reference for a pipelined run of `steps` steps:
// the same model, data order, optimizer and seed on one core.
TrainOptions sequentialReferenceOptions(const TrainOptions& pipelined, int64_t steps);

// Runs a session to its end or until control.stop. Throws lpm::Error (a
// FileError for a data set that cannot be read, InvalidArgument for
// inconsistent options, Error when training diverges) and nothing is left
// half-done: the session owns no files.
SessionResult runTrainingSession(const SessionRequest& request, const SessionEvents& events, SessionControl& control);

} // namespace lpm
