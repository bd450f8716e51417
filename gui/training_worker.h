// The object that lives on the controller's background thread and runs the
// core there: training sessions and CPU profiles. It only forwards values;
// the controller (studio_controller.h) is what the window talks to.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QString>

#include "gui_values.h"

namespace lpm::gui {

class TrainingWorker : public QObject {
    Q_OBJECT

public:
    explicit TrainingWorker(SessionControl& control) : control_(control) {}

    // A session's phase in the interface's language, e.g. "Training cnn under lpm…".
    static QString statusText(const SessionStatus& status);
    static QString datasetTitle(const std::string& dataset);

public slots:
    // Blocks this thread until the session ends; emits finished or failed.
    void train(const lpm::SessionRequest& request);
    void profile(const QString& model, qint64 microBatchSize, int threads); // on `threads` cores

signals:
    void statusChanged(const QString& text);
    void progressed(const lpm::SessionProgress& progress);
    void timelineMeasured(const lpm::Timeline& timeline);
    void finished(const lpm::SessionResult& result);
    void failed(const QString& message);
    void profiled(const QString& model, qint64 microBatchSize, const lpm::DeviceCosts& costs);
    void profileProgressed(int done, int total);

private:
    SessionControl& control_;
};

} // namespace lpm::gui
