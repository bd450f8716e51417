#include "studio_controller.h"

#include "thread_mailbox.h"
#include "training_worker.h"

namespace lpm::gui {

StudioController::StudioController(QObject* parent)
    : QObject(parent), control_(std::make_unique<SessionControl>()), toWorker_(std::make_unique<ThreadMailbox>()),
      toWindow_(std::make_unique<ThreadMailbox>()), worker_(new TrainingWorker(*control_))
{
    registerGuiValueTypes();
    thread_.setObjectName("lpm-training");
    worker_->moveToThread(&thread_);
    toWorker_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
    // The worker's signals, emitted on its thread (or a stage's), post their
    // values to the window's thread, where the controller's signals carry them on.
    auto forward = [this](auto signal, auto deliver) {
        connect(
            worker_, signal, this,
            [this, deliver](const auto&... values) {
                toWindow_->post([this, deliver, values...] { deliver(this, values...); });
            },
            Qt::DirectConnection);
    };
    forward(&TrainingWorker::statusChanged,
            [](StudioController* self, const QString& text) { emit self->statusChanged(text); });
    forward(&TrainingWorker::progressed,
            [](StudioController* self, const lpm::SessionProgress& progress) { emit self->progressed(progress); });
    forward(&TrainingWorker::timelineMeasured,
            [](StudioController* self, const lpm::Timeline& timeline) { emit self->timelineMeasured(timeline); });
    forward(&TrainingWorker::profileProgressed,
            [](StudioController* self, int done, int total) { emit self->profileProgressed(done, total); });
    forward(&TrainingWorker::finished, [](StudioController* self, const lpm::SessionResult& result) {
        self->training_ = false;
        emit self->trainingFinished(result);
        emit self->busyChanged(self->busy());
    });
    forward(&TrainingWorker::profiled,
            [](StudioController* self, const QString& model, qint64 microBatchSize, const lpm::DeviceCosts& costs) {
                self->profiling_ = false;
                emit self->profiled(model, microBatchSize, costs);
                emit self->busyChanged(self->busy());
            });
    forward(&TrainingWorker::failed, [](StudioController* self, const QString& message) {
        self->training_ = self->profiling_ = false;
        emit self->failed(message);
        emit self->busyChanged(self->busy());
    });
    thread_.start();
}

StudioController::~StudioController()
{
    control_->stop = true;
    thread_.quit();
    thread_.wait();
    toWindow_->discard(); // (after the worker's last post: it locks what the worker locked)
}

void StudioController::startTraining(const lpm::SessionRequest& request)
{
    if (busy()) {
        emit failed(tr("A run or a profile is already in progress."));
        return;
    }
    control_->stop = false;
    control_->pause = false;
    training_ = true;
    emit busyChanged(true);
    emit trainingStarted();
    toWorker_->post([worker = worker_, request] { worker->train(request); });
}

void StudioController::setPaused(bool paused)
{
    control_->pause = paused;
}

void StudioController::stopTraining()
{
    control_->stop = true;
    control_->pause = false;
}

void StudioController::profileCpu(const QString& model, qint64 microBatchSize, int threads)
{
    if (busy()) {
        emit failed(tr("A run or a profile is already in progress."));
        return;
    }
    control_->stop = false;
    profiling_ = true;
    emit busyChanged(true);
    toWorker_->post(
        [worker = worker_, model, microBatchSize, threads] { worker->profile(model, microBatchSize, threads); });
}

} // namespace lpm::gui
