// The training panel: data set (Fashion-MNIST, synthetic, or an MNIST-format
// folder chosen with a dialog; for a language model the default text corpus
// or a text file), epochs or steps, learning rate, seed, the sequential
// reference and weight stashing; Start, Pause and Stop; a progress bar with
// the time left; for a language model, the latest live evaluation's loss in
// bits per byte and the text the model continued then. It edits the design's training settings and asks
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
    // A language model's live evaluation: its loss, and the latest sample of
    // its text (ignores other reports and other models' runs).
    void showLiveEvaluation(const TrainProgress& progress);
    QString sampleText() const; // what that line shows (rich text; empty: nothing yet)
    void prepareForRun();       // a run of the design's model starts
    QPushButton* startButton() const { return start_; }
    QPushButton* pauseButton() const { return pause_; }
    QPushButton* stopButton() const { return stop_; }
    QComboBox* datasetBox() const { return dataset_; }
    QComboBox* learningRateScheduleBox() const { return learningRateSchedule_; }
    QSpinBox* warmupStepsBox() const { return warmupSteps_; }
    QDoubleSpinBox* weightDecayBox() const { return weightDecay_; }
    QDoubleSpinBox* clipGradNormBox() const { return clipGradNorm_; }
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
    QComboBox* learningRateSchedule_; // kConstantRate, kCosineRate
    QSpinBox* warmupSteps_;           // cosine only
    QDoubleSpinBox* weightDecay_;
    QDoubleSpinBox* clipGradNorm_; // 0: no clipping
    QSpinBox* seed_;
    QCheckBox* compareSequential_;
    QCheckBox* weightStash_;
    QPushButton* start_;
    QPushButton* pause_;
    QPushButton* stop_;
    QProgressBar* progress_;
    QLabel* eta_;
    QLabel* status_;
    QLabel* sample_;
    QString sampleLine_;       // the latest sample, as rich text
    bool languageRun_ = false; // the run in progress trains a language model
    bool syncing_ = false;
    bool running_ = false;
};

} // namespace lpm::gui
