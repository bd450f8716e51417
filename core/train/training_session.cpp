#include "train/training_session.h"

#include <chrono>
#include <thread>

#include "data/dataset.h"
#include "schedule/schedule.h"
#include "train/trainer.h"
#include "train/training_data.h"

namespace lpm {

namespace {

// Progress reports of one run; while control.pause is set, the run waits
// inside the report (so a pipelined run holds all its stages), waking every
// 10 ms to see whether it was resumed or stopped.
std::function<void(const TrainProgress&)> progressReporter(const SessionEvents& events, SessionControl& control,
                                                           bool reference)
{
    return [&events, &control, reference](const TrainProgress& progress) {
        if (events.progress)
            events.progress({reference, progress});
        while (control.pause.load() && !control.stop.load())
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    };
}

void announce(const SessionEvents& events, const SessionStatus& status)
{
    if (events.status)
        events.status(status);
}

} // namespace

std::string SessionStatus::text() const
{
    switch (phase) {
    case Phase::LoadingData:
        return "loading " + dataset;
    case Phase::Training:
        return "training " + model + " under " + schedule;
    case Phase::TrainingReference:
        return "training the sequential reference";
    }
    return {};
}

TrainOptions sequentialReferenceOptions(const TrainOptions& pipelined, int64_t steps)
{
    TrainOptions options = pipelined;
    options.schedule = kSequentialSchedule;
    options.stages.clear();
    options.stageBackends.clear();
    options.weightStash = false;
    options.threads = 1;
    options.steps = steps;
    options.epochs = 0;
    return options;
}

SessionResult runTrainingSession(const SessionRequest& request, const SessionEvents& events, SessionControl& control)
{
    SessionResult result;
    announce(events, {SessionStatus::Phase::LoadingData, request.dataset, "", ""});
    DatasetSplits data = loadTrainingData(request.dataset, request.train.model, request.train.seed);
    if (control.stop.load()) {
        result.summary.stopped = true;
        return result;
    }
    Trainer trainer(request.train, data);
    announce(events, {SessionStatus::Phase::Training, "", request.train.model, request.train.schedule});
    const std::function<void(const TrainProgress&)> report = progressReporter(events, control, false);
    // The trainer reports after every epoch's segment, when its timeline is complete.
    const int64_t perEpoch = trainer.batchesPerEpoch();
    auto reportWithTimeline = [&](const TrainProgress& progress) {
        report(progress);
        const bool segmentEnded = progress.globalStep % perEpoch == 0 || progress.step == progress.totalSteps;
        if (segmentEnded && events.timeline && !trainer.lastTimeline().events.empty())
            events.timeline(trainer.lastTimeline());
    };
    result.summary = trainer.run(reportWithTimeline, &control.stop, 1);
    result.timeline = trainer.lastTimeline();
    if (result.summary.stopped && events.timeline && !result.timeline.events.empty())
        events.timeline(result.timeline);
    if (request.compareSequential && !scheduleTraits(request.train.schedule).singleStage && !result.summary.stopped
        && result.summary.steps > 0) {
        announce(events, {SessionStatus::Phase::TrainingReference, "", "", ""});
        Trainer reference(sequentialReferenceOptions(request.train, result.summary.steps), data);
        const TrainSummary summary = reference.run(progressReporter(events, control, true), &control.stop, 1);
        if (!summary.stopped)
            result.reference = summary;
    }
    return result;
}

} // namespace lpm
