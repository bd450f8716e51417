// The training panel: data set (Fashion-MNIST, synthetic, or an MNIST-format
// folder chosen with a dialog), epochs or steps, learning rate, seed, the
// sequential reference and weight stashing; Start, Pause and Stop; a progress
// bar with the time left. It edits the design's training settings and asks
// the main window to start or stop; it never runs anything itself.
#pragma once

#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace lpm {
struct TrainProgress;
}

namespace lpm::gui {

class DesignModel;

class TrainingPanel : public QWidget {
    Q_OBJECT

public:
    explicit TrainingPanel(DesignModel* model, QWidget* parent = nullptr);

    void setRunning(bool running, bool paused);
    void showProgress(const TrainProgress& progress, bool reference);
    void showStatus(const QString& text);
    QPushButton* startButton() const { return start_; }
    QPushButton* pauseButton() const { return pause_; }
    QPushButton* stopButton() const { return stop_; }
    void retranslate();

signals:
    void startRequested();
    void pauseRequested(bool paused);
    void stopRequested();

protected:
    void changeEvent(QEvent* event) override;

private:
    void syncFromDesign();
    void applySettings();

    DesignModel* model_;
    QFormLayout* form_;
    QComboBox* dataset_;
    QSpinBox* epochs_;
    QSpinBox* steps_;
    QDoubleSpinBox* learningRate_;
    QSpinBox* seed_;
    QCheckBox* compareSequential_;
    QCheckBox* weightStash_;
    QPushButton* start_;
    QPushButton* pause_;
    QPushButton* stop_;
    QProgressBar* progress_;
    QLabel* eta_;
    QLabel* status_;
    bool syncing_ = false;
    bool running_ = false;
};

} // namespace lpm::gui
