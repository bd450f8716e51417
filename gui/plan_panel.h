// The plan panel: model, schedule, partitioner, batch, micro-batches and
// optimizer; Auto-merge; a table of the stages (device, units, compute and
// transfer time per micro-batch, memory against capacity, busy share), a
// view of a StageTableModel (stage_table_model.h); and the predicted
// iteration time, throughput, speedup and bubble; under it one line on the
// speedup ceiling of a layer-wise cut and what sets it, and, when another
// schedule is predicted clearly faster, a button that applies it.
#pragma once

#include <QWidget>

class QComboBox;
class QFormLayout;
class QLabel;
class QPushButton;
class QSpinBox;
class QTableView;

namespace lpm::gui {

class DesignModel;
class StageTableModel;

class PlanPanel : public QWidget {
    Q_OBJECT

public:
    explicit PlanPanel(DesignModel* model, QWidget* parent = nullptr);

    QString predictionText() const; // the predicted figures as shown
    QString adviceText() const;     // the ceiling's line as shown (empty without a prediction)
    QPushButton* suggestionButton() const { return suggest_; } // hidden without a suggestion
    // The model: zoo names, then any imported ONNX file (its name shown, its path as the item's data).
    QComboBox* modelChoice() const { return modelChoice_; }
    // Opens "Compare schedules" (disabled while the design has no prediction).
    QPushButton* comparisonButton() const { return compare_; }
    // Wide enough for every column of the stage table at its contents' width.
    QSize sizeHint() const override;
    QTableView* stageTable() const { return stages_; }
    StageTableModel* stageModel() const { return stageModel_; }
    void retranslate();

protected:
    void changeEvent(QEvent* event) override;

private:
    void syncFromDesign();
    void applyBatch();
    QString ceilingText() const;

    DesignModel* model_;
    QFormLayout* form_;
    QComboBox* modelChoice_;
    QComboBox* scheduleChoice_;
    QComboBox* partitionerChoice_;
    QComboBox* optimizerChoice_;
    QSpinBox* batch_;
    QSpinBox* microBatches_;
    QPushButton* autoMerge_;
    StageTableModel* stageModel_;
    QTableView* stages_;
    QLabel* predicted_;
    QLabel* advice_;
    QPushButton* suggest_;
    QPushButton* compare_;
    bool syncing_ = false;
};

} // namespace lpm::gui
