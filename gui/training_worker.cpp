#include "training_worker.h"

#include <exception>
#include <mutex>

#include "plan/cost_sources.h"

namespace lpm::gui {

namespace {
// Progress events come every step (from a stage thread when pipelined); the
// window needs at most about 30 a second. Evaluations (of the test set or of
// its subset) and the last step always pass.
constexpr qint64 kProgressIntervalMs = 30;
} // namespace

QString TrainingWorker::statusText(const SessionStatus& status)
{
    switch (status.phase) {
    case SessionStatus::Phase::LoadingData:
        return tr("Loading %1…").arg(datasetTitle(status.dataset));
    case SessionStatus::Phase::Training:
        return tr("Training %1 under %2…")
            .arg(QString::fromStdString(status.model), QString::fromStdString(status.schedule));
    case SessionStatus::Phase::TrainingReference:
        return tr("Training the sequential reference…");
    }
    return QString::fromStdString(status.text());
}

QString TrainingWorker::datasetTitle(const std::string& dataset)
{
    if (dataset == "fashion-mnist")
        return tr("Fashion-MNIST");
    if (dataset == "synthetic")
        return tr("the synthetic data set");
    return QString::fromStdString(dataset); // a folder
}

void TrainingWorker::train(const lpm::SessionRequest& request)
{
    QElapsedTimer sinceReport;
    sinceReport.start();
    std::mutex reportMutex; // pipelined runs report from their stage threads
    SessionEvents events;
    events.status = [this](const SessionStatus& status) { emit statusChanged(statusText(status)); };
    events.progress = [&, this](const SessionProgress& progress) {
        const std::lock_guard lock(reportMutex);
        const TrainProgress& report = progress.progress;
        const bool due = report.evaluated || report.subsetEvaluated || report.step == report.totalSteps
                         || report.step <= 1 || sinceReport.elapsed() >= kProgressIntervalMs;
        if (!due)
            return;
        sinceReport.restart();
        emit progressed(progress);
    };
    events.timeline = [this](const Timeline& timeline) { emit timelineMeasured(timeline); };
    try {
        emit finished(runTrainingSession(request, events, control_));
    } catch (const std::exception& error) {
        emit failed(QString::fromStdString(error.what()));
    }
}

void TrainingWorker::profile(const QString& model, qint64 microBatchSize, int threads)
{
    try {
        const DeviceCosts costs = profileCpuCosts(
            model.toStdString(), microBatchSize, [this](int done, int total) { emit profileProgressed(done, total); },
            threads);
        emit profiled(model, microBatchSize, costs);
    } catch (const std::exception& error) {
        emit failed(QString::fromStdString(error.what()));
    }
}

} // namespace lpm::gui
