// The one object through which the window drives the core's long work. It
// owns a QThread and a TrainingWorker on it: commands go in through a mailbox
// on that thread, value snapshots come back through a mailbox on the window's
// thread and out as signals there (thread_mailbox.h). Stop is an
// atomic flag the run polls (it ends within a step); pause holds the run at
// its next progress report. The destructor stops the run, quits the thread
// and waits for it, so closing the window mid-run is clean.
#pragma once

#include <memory>

#include <QObject>
#include <QString>
#include <QThread>

#include "gui_values.h"

namespace lpm::gui {

class ThreadMailbox;
class TrainingWorker;

class StudioController : public QObject {
    Q_OBJECT

public:
    explicit StudioController(QObject* parent = nullptr);
    ~StudioController() override;

    bool isTraining() const { return training_; }
    bool isPaused() const { return control_->pause.load(); }
    bool isProfiling() const { return profiling_; }

public slots:
    // Refused (failed is emitted) while a run or a profile is in progress.
    void startTraining(const lpm::SessionRequest& request);
    void setPaused(bool paused);
    // Returns at once; trainingFinished follows when the run has stopped.
    void stopTraining();
    // On `threads` cores (costs "cpu", or "cpu*r" for a replicated stage).
    void profileCpu(const QString& model, qint64 microBatchSize, int threads = 1);

signals:
    void trainingStarted();
    void statusChanged(const QString& text);
    void progressed(const lpm::SessionProgress& progress);
    void timelineMeasured(const lpm::Timeline& timeline);
    void trainingFinished(const lpm::SessionResult& result);
    void failed(const QString& message); // a core error: the run (or profile) is over
    void profiled(const QString& model, qint64 microBatchSize, const lpm::DeviceCosts& costs);
    void profileProgressed(int done, int total);
    void busyChanged(bool busy);

private:
    bool busy() const { return training_ || profiling_; }

    std::unique_ptr<SessionControl> control_;
    std::unique_ptr<ThreadMailbox> toWorker_; // lives on thread_
    std::unique_ptr<ThreadMailbox> toWindow_; // lives on the controller's thread
    QThread thread_;
    TrainingWorker* worker_; // lives on thread_; deleted when it finishes
    bool training_ = false;
    bool profiling_ = false;
};

} // namespace lpm::gui
