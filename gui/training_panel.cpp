#include "training_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QEvent>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QVBoxLayout>

#include <cmath>
#include <initializer_list>

#include "data/text_dataset_spec.h"
#include "design_model.h"
#include "form_labels.h"
#include "train/text_metrics.h"
#include "train/train_options.h"

namespace lpm::gui {

namespace {
// kFolder: the path chosen (an MNIST-format folder, or text:PATH).
enum DatasetRow { kFashionMnist, kSynthetic, kText, kFolder, kChooseFolder, kChooseTextFile };
// The learning-rate schedule box's rows, and OptimizerOptions::schedule's names for them.
enum RateScheduleRow { kConstantRate, kCosineRate };
constexpr const char* kRateScheduleNames[] = {"constant", "cosine"};

QString durationText(double seconds)
{
    const int total = int(seconds + 0.5);
    return total >= 3600 ? QString("%1:%2:%3")
                               .arg(total / 3600)
                               .arg(total / 60 % 60, 2, 10, QChar('0'))
                               .arg(total % 60, 2, 10, QChar('0'))
                         : QString("%1:%2").arg(total / 60).arg(total % 60, 2, 10, QChar('0'));
}
} // namespace

TrainingPanel::TrainingPanel(DesignModel* model, QWidget* parent) : QWidget(parent), model_(model)
{
    dataset_ = new QComboBox(this);
    dataset_->addItems({QString(), QString(), QString(), QString(), QString(), QString()});
    epochs_ = new QSpinBox(this);
    epochs_->setRange(0, 10000);
    steps_ = new QSpinBox(this);
    steps_->setRange(0, 100000000);
    learningRate_ = new QDoubleSpinBox(this);
    learningRate_->setDecimals(5);
    learningRate_->setRange(0.00001, 10.0);
    learningRate_->setSingleStep(0.005);
    learningRateSchedule_ = new QComboBox(this);
    learningRateSchedule_->addItems({QString(), QString()});
    warmupSteps_ = new QSpinBox(this);
    warmupSteps_->setRange(0, 100000000);
    weightDecay_ = new QDoubleSpinBox(this);
    weightDecay_->setDecimals(4);
    weightDecay_->setRange(0.0, 1.0);
    weightDecay_->setSingleStep(0.01);
    clipGradNorm_ = new QDoubleSpinBox(this);
    clipGradNorm_->setDecimals(3);
    clipGradNorm_->setRange(0.0, 1e6);
    clipGradNorm_->setSingleStep(0.5);
    seed_ = new QSpinBox(this);
    seed_->setRange(0, 2147483647);
    compareSequential_ = new QCheckBox(this);
    weightStash_ = new QCheckBox(this);
    start_ = new QPushButton(this);
    pause_ = new QPushButton(this);
    pause_->setCheckable(true);
    stop_ = new QPushButton(this);
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1000);
    progress_->setValue(0);
    eta_ = new QLabel(this);
    // The ETA line changes about 30 times a second: with an ignored width its
    // new text never asks the window to lay out again (a relayout resizes the
    // splitter and replots every plot, the longest stall seen while training).
    eta_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    eta_->setMinimumWidth(1);
    status_ = new QLabel(this);
    status_->setWordWrap(true);
    sample_ = new QLabel(this);
    sample_->setWordWrap(true);
    sample_->setTextFormat(Qt::RichText);
    sample_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    sample_->hide();

    form_ = new QFormLayout;
    form_->addRow(new QLabel(this), dataset_);
    form_->addRow(new QLabel(this), epochs_);
    form_->addRow(new QLabel(this), steps_);
    form_->addRow(new QLabel(this), learningRate_);
    form_->addRow(new QLabel(this), learningRateSchedule_);
    form_->addRow(new QLabel(this), warmupSteps_);
    form_->addRow(new QLabel(this), weightDecay_);
    form_->addRow(new QLabel(this), clipGradNorm_);
    form_->addRow(new QLabel(this), seed_);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(start_);
    buttons->addWidget(pause_);
    buttons->addWidget(stop_);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form_);
    layout->addWidget(compareSequential_);
    layout->addWidget(weightStash_);
    layout->addLayout(buttons);
    layout->addWidget(progress_);
    layout->addWidget(eta_);
    layout->addWidget(status_);
    layout->addWidget(sample_);
    layout->addStretch(1);

    connect(dataset_, &QComboBox::activated, this, [this](int row) {
        if (row == kChooseTextFile) {
            const QString file =
                QFileDialog::getOpenFileName(this, tr("Text to train the language model on (any file, read as bytes)"));
            if (file.isEmpty()) {
                syncFromDesign();
                return;
            }
            TrainingSettings settings = model_->design().training;
            settings.dataset = kTextDatasetPrefix + file.toStdString();
            model_->setTrainingSettings(settings);
            return;
        }
        if (row == kChooseFolder) {
            const QString folder =
                QFileDialog::getExistingDirectory(this, tr("Folder with the four MNIST-format IDX files"),
                                                  QString::fromStdString(model_->design().training.dataset));
            if (folder.isEmpty()) {
                syncFromDesign();
                return;
            }
            TrainingSettings settings = model_->design().training;
            settings.dataset = folder.toStdString();
            model_->setTrainingSettings(settings);
            return;
        }
        applySettings();
    });
    for (QSpinBox* box : {epochs_, steps_, warmupSteps_, seed_})
        connect(box, &QSpinBox::editingFinished, this, &TrainingPanel::applySettings);
    for (QDoubleSpinBox* box : {learningRate_, weightDecay_, clipGradNorm_})
        connect(box, &QDoubleSpinBox::editingFinished, this, &TrainingPanel::applySettings);
    connect(learningRateSchedule_, &QComboBox::activated, this, &TrainingPanel::applySettings);
    for (QCheckBox* box : {compareSequential_, weightStash_})
        connect(box, &QCheckBox::toggled, this, &TrainingPanel::applySettings);
    connect(start_, &QPushButton::clicked, this, &TrainingPanel::startRequested);
    connect(pause_, &QPushButton::toggled, this, &TrainingPanel::pauseRequested);
    connect(stop_, &QPushButton::clicked, this, &TrainingPanel::stopRequested);
    connect(model_, &DesignModel::designChanged, this, &TrainingPanel::syncFromDesign);
    retranslate();
    setRunning(false, false);
}

void TrainingPanel::applySettings()
{
    if (syncing_)
        return;
    TrainingSettings settings = model_->design().training;
    switch (dataset_->currentIndex()) {
    case kFashionMnist:
        settings.dataset = "fashion-mnist";
        break;
    case kSynthetic:
        settings.dataset = "synthetic";
        break;
    case kText:
        settings.dataset = "text";
        break;
    default:
        break; // a folder or text file: unchanged
    }
    settings.epochs = epochs_->value();
    settings.steps = steps_->value();
    settings.learningRate = learningRate_->value();
    settings.learningRateSchedule =
        kRateScheduleNames[learningRateSchedule_->currentIndex() == kCosineRate ? kCosineRate : kConstantRate];
    settings.warmupSteps = warmupSteps_->value();
    settings.weightDecay = weightDecay_->value();
    settings.clipGradNorm = clipGradNorm_->value();
    settings.seed = uint64_t(seed_->value());
    settings.compareSequential = compareSequential_->isChecked();
    settings.weightStash = weightStash_->isChecked() && weightStash_->isEnabled();
    if (settings != model_->design().training && !model_->setTrainingSettings(settings))
        syncFromDesign();
}

void TrainingPanel::syncFromDesign()
{
    syncing_ = true;
    const TrainingSettings& settings = model_->design().training;
    // A language model's rows are the text ones, an image model's the others.
    const bool language = model_->outline().tokens > 0;
    if (auto* rows = qobject_cast<QStandardItemModel*>(dataset_->model()))
        for (const int row : {kFashionMnist, kSynthetic, kText, kChooseFolder, kChooseTextFile})
            rows->item(row)->setEnabled((row == kText || row == kChooseTextFile) == language);
    if (settings.dataset == "fashion-mnist")
        dataset_->setCurrentIndex(kFashionMnist);
    else if (settings.dataset == "synthetic")
        dataset_->setCurrentIndex(kSynthetic);
    else if (settings.dataset == "text")
        dataset_->setCurrentIndex(kText);
    else {
        dataset_->setItemText(kFolder, QString::fromStdString(settings.dataset));
        dataset_->setCurrentIndex(kFolder);
    }
    epochs_->setValue(int(settings.epochs));
    steps_->setValue(int(settings.steps));
    learningRate_->setValue(settings.learningRate);
    const bool cosine = settings.learningRateSchedule == kRateScheduleNames[kCosineRate];
    learningRateSchedule_->setCurrentIndex(cosine ? kCosineRate : kConstantRate);
    warmupSteps_->setValue(int(settings.warmupSteps));
    warmupSteps_->setEnabled(cosine && !running_);
    weightDecay_->setValue(settings.weightDecay);
    clipGradNorm_->setValue(settings.clipGradNorm);
    seed_->setValue(int(settings.seed));
    compareSequential_->setChecked(settings.compareSequential);
    weightStash_->setEnabled(model_->weightStashApplies() && !running_);
    weightStash_->setChecked(settings.weightStash);
    syncing_ = false;
}

void TrainingPanel::setRunning(bool running, bool paused)
{
    running_ = running;
    for (QWidget* field :
         std::initializer_list<QWidget*>{dataset_, epochs_, steps_, learningRate_, learningRateSchedule_, weightDecay_,
                                         clipGradNorm_, seed_, compareSequential_})
        field->setEnabled(!running);
    warmupSteps_->setEnabled(!running && learningRateSchedule_->currentIndex() == kCosineRate);
    weightStash_->setEnabled(!running && model_->weightStashApplies());
    start_->setEnabled(!running);
    pause_->setEnabled(running);
    stop_->setEnabled(running);
    const QSignalBlocker blocker(pause_);
    pause_->setChecked(paused);
    if (!running)
        eta_->clear();
}

void TrainingPanel::showProgress(const TrainProgress& progress, bool reference)
{
    const double done = progress.totalSteps > 0 ? double(progress.step) / double(progress.totalSteps) : 0.0;
    progress_->setValue(int(done * 1000.0));
    progress_->setFormat((reference ? tr("reference %p%") : tr("%p%")));
    const double left = done > 0.0 ? progress.wallSeconds * (1.0 - done) / done : 0.0;
    eta_->setText(tr("step %1 of %2 · epoch %3 · loss %4 · %5 samples/s · %6 left")
                      .arg(progress.step)
                      .arg(progress.totalSteps)
                      .arg(progress.epoch + 1)
                      .arg(progress.meanLoss, 0, 'f', 4)
                      .arg(progress.samplesPerSecond, 0, 'f', 0)
                      .arg(durationText(left)));
}

void TrainingPanel::showLiveEvaluation(const TrainProgress& progress)
{
    if (!progress.subsetEvaluated || !languageRun_)
        return;
    const QString loss = tr("After step %1: test subset loss %2 nats per byte (%3 bits per byte, perplexity %4).")
                             .arg(progress.step)
                             .arg(progress.subsetLoss, 0, 'f', 3)
                             .arg(bitsPerByte(progress.subsetLoss), 0, 'f', 3)
                             .arg(std::exp(progress.subsetLoss), 0, 'f', 2);
    if (!progress.sampleText.empty()) {
        const QString prompt = QString::fromUtf8(oneLineText(progress.samplePrompt)).toHtmlEscaped();
        const QString continuation = QString::fromUtf8(oneLineText(progress.sampleText)).toHtmlEscaped();
        sampleLine_ = tr("Its text after step %1:").arg(progress.step)
                      + QString("<br><span style='color:gray'>%1</span>%2").arg(prompt, continuation);
    }
    sample_->setText(loss.toHtmlEscaped() + (sampleLine_.isEmpty() ? QString() : "<br>" + sampleLine_));
    sample_->show();
}

QString TrainingPanel::sampleText() const
{
    return sample_->text();
}

void TrainingPanel::prepareForRun()
{
    languageRun_ = model_->outline().tokens > 0;
    sampleLine_.clear();
    sample_->clear();
    sample_->hide();
}

void TrainingPanel::showStatus(const QString& text)
{
    status_->setText(text);
}

void TrainingPanel::retranslate()
{
    dataset_->setItemText(kFashionMnist, tr("Fashion-MNIST"));
    dataset_->setItemText(kSynthetic, tr("Synthetic (seeded, fast)"));
    dataset_->setItemText(kText, tr("Text: the Jargon File"));
    dataset_->setItemText(kChooseFolder, tr("MNIST-format folder…"));
    dataset_->setItemText(kChooseTextFile, tr("Text file…"));
    learningRateSchedule_->setItemText(kConstantRate, tr("Constant"));
    learningRateSchedule_->setItemText(kCosineRate, tr("Cosine, after warm-up"));
    learningRateSchedule_->setToolTip(
        tr("Cosine: the rate rises linearly over the warm-up steps, then falls along a cosine to a tenth of "
           "itself at the run's last step."));
    clipGradNorm_->setToolTip(tr("Scales the gradients down to this global norm before each update (all "
                                 "stages agree on the norm first, so exact schedules stay exact); 0: no "
                                 "clipping."));
    setFormLabels(form_,
                  {tr("Data set"), tr("Epochs"), tr("Steps (0: whole epochs)"), tr("Learning rate"),
                   tr("Rate schedule"), tr("Warm-up steps"), tr("Weight decay"), tr("Clip norm (0: off)"), tr("Seed")});
    compareSequential_->setText(tr("Also run the sequential reference (for the speedup)"));
    weightStash_->setText(tr("Weight stashing (lpm-async)"));
    start_->setText(tr("Start"));
    pause_->setText(tr("Pause"));
    stop_->setText(tr("Stop"));
    syncFromDesign();
}

void TrainingPanel::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

} // namespace lpm::gui
