#include "plan_panel.h"

#include <algorithm>

#include <QComboBox>
#include <QEvent>
#include <QFileInfo>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QScrollBar>
#include <QSpinBox>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QVBoxLayout>

#include "design_model.h"
#include "form_labels.h"
#include "graph/model_source.h"
#include "nn/model_outline.h"
#include "plan/partitioners.h"
#include "schedule/schedule.h"
#include "schedule_comparison_dialog.h"
#include "stage_table_model.h"

namespace lpm::gui {

namespace {

// The Cores cell's editor: a spin box from 1 to the cores of the design's devices.
class CoresDelegate : public QStyledItemDelegate {
public:
    CoresDelegate(const DesignModel* design, QObject* parent) : QStyledItemDelegate(parent), design_(design) {}

    QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem&, const QModelIndex&) const override
    {
        auto* cores = new QSpinBox(parent);
        cores->setFrame(false);
        cores->setRange(1, std::max(1, int(physicalDevices(design_->plan()).size())));
        return cores;
    }

private:
    const DesignModel* design_;
};

} // namespace

namespace {

QComboBox* choiceOf(const std::vector<std::string>& names, QWidget* parent)
{
    auto* box = new QComboBox(parent);
    for (const std::string& name : names)
        box->addItem(QString::fromStdString(name));
    return box;
}

} // namespace

PlanPanel::PlanPanel(DesignModel* model, QWidget* parent) : QWidget(parent), model_(model)
{
    modelChoice_ = choiceOf(zooModelNames(), this);
    scheduleChoice_ = choiceOf(scheduleNames(), this);
    partitionerChoice_ = choiceOf(partitionerNames(), this);
    optimizerChoice_ = choiceOf({"sgd", "adam", "adamw"}, this);
    batch_ = new QSpinBox(this);
    batch_->setRange(1, 1 << 20);
    microBatches_ = new QSpinBox(this);
    microBatches_->setRange(1, 4096);
    autoMerge_ = new QPushButton(this);
    stageModel_ = new StageTableModel(model_, this);
    stages_ = new QTableView(this);
    stages_->setModel(stageModel_);
    stages_->verticalHeader()->setVisible(false);
    // Only the Cores cells edit (StageTableModel::flags), in a spin box from 1 to the design's cores.
    stages_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::SelectedClicked
                             | QAbstractItemView::EditKeyPressed);
    stages_->setItemDelegateForColumn(StageTableModel::Cores, new CoresDelegate(model_, stages_));
    // Short headers (their tooltips say the rest) and columns as wide as their
    // contents, but the device's, which takes the width left (eliding a long
    // name, in full in its tooltip); sizeHint() asks for the contents' width,
    // so the dock opens wide enough to show every column where there is room.
    stages_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    stages_->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    predicted_ = new QLabel(this);
    predicted_->setWordWrap(true);
    predicted_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    advice_ = new QLabel(this);
    advice_->setWordWrap(true);
    advice_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    suggest_ = new QPushButton(this);
    suggest_->setVisible(false);
    compare_ = new QPushButton(this);
    compare_->setEnabled(false); // until the design has a prediction

    form_ = new QFormLayout;
    form_->addRow(new QLabel(this), modelChoice_);
    form_->addRow(new QLabel(this), scheduleChoice_);
    form_->addRow(new QLabel(this), partitionerChoice_);
    form_->addRow(new QLabel(this), batch_);
    form_->addRow(new QLabel(this), microBatches_);
    form_->addRow(new QLabel(this), optimizerChoice_);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form_);
    layout->addWidget(autoMerge_);
    layout->addWidget(stages_, 1);
    layout->addWidget(predicted_);
    layout->addWidget(advice_);
    layout->addWidget(suggest_);
    layout->addWidget(compare_);

    // An imported model's item shows its file name and holds its path.
    connect(modelChoice_, &QComboBox::activated, this, [this] {
        const QVariant path = modelChoice_->currentData();
        model_->setModel(path.isValid() ? path.toString() : modelChoice_->currentText());
    });
    connect(scheduleChoice_, &QComboBox::activated, this,
            [this] { model_->setSchedule(scheduleChoice_->currentText()); });
    connect(partitionerChoice_, &QComboBox::activated, this,
            [this] { model_->setPartitioner(partitionerChoice_->currentText()); });
    connect(optimizerChoice_, &QComboBox::activated, this,
            [this] { model_->setOptimizer(optimizerChoice_->currentText()); });
    connect(batch_, &QSpinBox::editingFinished, this, &PlanPanel::applyBatch);
    connect(microBatches_, &QSpinBox::editingFinished, this, &PlanPanel::applyBatch);
    connect(autoMerge_, &QPushButton::clicked, model_, &DesignModel::autoMerge);
    connect(suggest_, &QPushButton::clicked, model_, &DesignModel::applySuggestion);
    connect(compare_, &QPushButton::clicked, this, [this] {
        auto* dialog = new ScheduleComparisonDialog(model_, this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->open();
    });
    connect(model_, &DesignModel::designChanged, this, &PlanPanel::syncFromDesign);
    retranslate();
}

void PlanPanel::applyBatch()
{
    if (syncing_)
        return;
    if (!model_->setBatch(batch_->value(), microBatches_->value()))
        syncFromDesign();
}

QSize PlanPanel::sizeHint() const
{
    const QAbstractItemView* view = stages_; // sizeHintForColumn is public there
    int columns = 0;                         // px
    for (int column = 0; column < stageModel_->columnCount(); ++column)
        columns += std::max(stages_->horizontalHeader()->sectionSizeHint(column), view->sizeHintForColumn(column));
    const QMargins margins = layout()->contentsMargins();
    const int table =
        columns + 2 * stages_->frameWidth() + stages_->verticalScrollBar()->sizeHint().width(); // should rows overflow
    QSize hint = QWidget::sizeHint();
    hint.setWidth(std::max(hint.width(), table + margins.left() + margins.right()));
    return hint;
}

QString PlanPanel::predictionText() const
{
    return predicted_->text();
}

QString PlanPanel::adviceText() const
{
    return advice_->text();
}

// The advice's line (plan/speedup_ceiling.h): the ceiling, then what sets it.
QString PlanPanel::ceilingText() const
{
    const Plan& plan = model_->plan();
    const SpeedupCeiling& ceiling = model_->advice().ceiling;
    const QString bound = tr("A layer-wise cut on these %1 devices runs at most %2× faster than "
                             "sequential")
                              .arg(plan.devices.size())
                              .arg(ceiling.speedup, 0, 'f', 2);
    auto unitName = [this](int unit) {
        const std::vector<std::string>& labels = model_->unitLabels();
        return size_t(unit) < labels.size()
                   ? tr("unit %1 %2").arg(unit).arg(QString::fromStdString(labels[size_t(unit)]))
                   : tr("unit %1").arg(unit);
    };
    auto deviceLabel = [&plan](size_t device) {
        return device < plan.devices.size() ? QString::fromStdString(plan.devices[device].label) : QString("?");
    };
    switch (ceiling.kind) {
    case BottleneckKind::Devices:
        return tr("%1: the work divides evenly over %2 devices.").arg(bound).arg(ceiling.cut.size());
    case BottleneckKind::Unit:
        return tr("%1, held back by %2 (%3 % of the work).")
            .arg(bound, unitName(ceiling.unit))
            .arg(ceiling.unitShare * 100.0, 0, 'f', 0);
    case BottleneckKind::Link:
        return tr("%1, held back by the link %2 → %3 at the cut after %4 (%5 ms of transfers per "
                  "micro-batch).")
            .arg(bound, deviceLabel(size_t(ceiling.link)), deviceLabel(size_t(ceiling.link) + 1),
                 unitName(ceiling.unit))
            .arg(ceiling.transferSeconds * 1e3, 0, 'f', 3);
    case BottleneckKind::Stage:
        break;
    }
    const PlannedStage stage =
        size_t(ceiling.slowestStage) < ceiling.cut.size() ? ceiling.cut[size_t(ceiling.slowestStage)] : PlannedStage{};
    return tr("%1, held back by stage %2 (units %3–%4 on %5): the units do not divide more "
              "evenly.")
        .arg(bound)
        .arg(ceiling.slowestStage)
        .arg(stage.first)
        .arg(stage.last)
        .arg(deviceLabel(size_t(stage.device)));
}

void PlanPanel::syncFromDesign()
{
    syncing_ = true;
    const Plan& plan = model_->plan();
    const QString modelName = QString::fromStdString(plan.model);
    int modelIndex = modelChoice_->findData(modelName);
    if (modelIndex < 0)
        modelIndex = modelChoice_->findText(modelName);
    if (modelIndex < 0 && isOnnxModelName(plan.model)) { // an imported model joins the list
        modelChoice_->addItem(QFileInfo(modelName).fileName(), modelName);
        modelIndex = modelChoice_->count() - 1;
        modelChoice_->setItemData(modelIndex, modelName, Qt::ToolTipRole);
    }
    modelChoice_->setCurrentIndex(modelIndex);
    scheduleChoice_->setCurrentText(QString::fromStdString(plan.schedule));
    partitionerChoice_->setCurrentText(QString::fromStdString(plan.partitioner));
    optimizerChoice_->setCurrentText(QString::fromStdString(plan.optimizer));
    batch_->setValue(int(plan.batch));
    microBatches_->setValue(int(plan.microBatches));

    const Prediction& prediction = model_->prediction();
    const bool predicted = model_->predictionError().isEmpty();
    if (model_->profilePending())
        predicted_->setText(tr("Profiling %1 on one core of this CPU…").arg(QString::fromStdString(plan.model)));
    else if (!predicted)
        predicted_->setText(tr("No prediction: %1").arg(model_->predictionError()));
    else
        predicted_->setText(tr("Predicted: iteration %1 ms · %2 samples/s · speedup %3× over sequential on %4 · "
                               "bubble %5 %")
                                .arg(prediction.iterationSeconds * 1e3, 0, 'f', 3)
                                .arg(prediction.samplesPerSecond, 0, 'f', 0)
                                .arg(prediction.speedup, 0, 'f', 2)
                                .arg(QString::fromStdString(prediction.sequentialDevice))
                                .arg(prediction.bubbleFraction * 100.0, 0, 'f', 1));
    const bool advised = predicted && !model_->profilePending();
    advice_->setText(advised ? ceilingText() : QString());
    advice_->setVisible(advised);
    compare_->setEnabled(advised && model_->stageCount() > 0);
    const std::optional<ScheduleSuggestion>& suggestion = model_->advice().suggestion;
    suggest_->setVisible(advised && suggestion.has_value());
    if (advised && suggestion) {
        suggest_->setText(tr("Use schedule %1: predicted %2× faster than sequential")
                              .arg(QString::fromStdString(suggestion->schedule))
                              .arg(suggestion->speedup, 0, 'f', 2));
        suggest_->setToolTip(tr("%1 is predicted at %2 ms per iteration, against %3 ms for %4 "
                                "(undoable)")
                                 .arg(QString::fromStdString(suggestion->schedule))
                                 .arg(suggestion->iterationSeconds * 1e3, 0, 'f', 3)
                                 .arg(prediction.iterationSeconds * 1e3, 0, 'f', 3)
                                 .arg(QString::fromStdString(plan.schedule)));
    }
    syncing_ = false;
}

void PlanPanel::retranslate()
{
    setFormLabels(form_, {tr("Model"), tr("Schedule"), tr("Partitioner"), tr("Batch size"), tr("Micro-batches"),
                          tr("Optimizer")});
    autoMerge_->setText(tr("Auto-merge"));
    compare_->setText(tr("Compare schedules…"));
    compare_->setToolTip(tr("Predict every schedule on these devices and pick one"));
    autoMerge_->setToolTip(tr("Cut the model anew with the chosen partitioner"));
    stageModel_->retranslate();
    syncFromDesign();
}

void PlanPanel::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

} // namespace lpm::gui
