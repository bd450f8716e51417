#include "studio_controller.h"

#include "training_worker.h"

namespace lpm::gui {

StudioController::StudioController(QObject* parent)
    : QObject(parent), control_(std::make_unique<SessionControl>()), worker_(new TrainingWorker(*control_))
{
    registerGuiValueTypes();
    thread_.setObjectName("lpm-training");
    worker_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
    connect(worker_, &TrainingWorker::statusChanged, this, &StudioController::statusChanged);
    connect(worker_, &TrainingWorker::progressed, this, &StudioController::progressed);
    connect(worker_, &TrainingWorker::timelineMeasured, this, &StudioController::timelineMeasured);
    connect(worker_, &TrainingWorker::profileProgressed, this, &StudioController::profileProgressed);
    connect(worker_, &TrainingWorker::finished, this, [this](const lpm::SessionResult& result) {
        training_ = false;
        emit trainingFinished(result);
        emit busyChanged(busy());
    });
    connect(worker_, &TrainingWorker::profiled, this,
            [this](const QString& model, qint64 microBatchSize, const lpm::DeviceCosts& costs) {
                profiling_ = false;
                emit profiled(model, microBatchSize, costs);
                emit busyChanged(busy());
            });
    connect(worker_, &TrainingWorker::failed, this, [this](const QString& message) {
        training_ = profiling_ = false;
        emit failed(message);
        emit busyChanged(busy());
    });
    thread_.start();
}

StudioController::~StudioController()
{
    control_->stop = true;
    thread_.quit();
    thread_.wait();
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
    QMetaObject::invokeMethod(
        worker_, [worker = worker_, request] { worker->train(request); }, Qt::QueuedConnection);
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
    QMetaObject::invokeMethod(
        worker_,
        [worker = worker_, model, microBatchSize, threads] { worker->profile(model, microBatchSize, threads); },
        Qt::QueuedConnection);
}

} // namespace lpm::gui
