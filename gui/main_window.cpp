#include "main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QUrl>
#include <qcustomplot.h>

#include "bundled_examples.h"
#include "devices/training_devices.h"
#include "devices_panel.h"
#include "graph/model_source.h"
#include "graph/onnx_reader.h"
#include "io/atomic_file.h"
#include "metric_plots.h"
#include "network_view.h"
#include "pipeline/chrome_trace.h"
#include "plan_panel.h"
#include "sim/scaling_prediction.h"
#include "timeline_plot.h"
#include "train/text_metrics.h"
#include "training_panel.h"
#include "units_panel.h"

namespace lpm::gui {

namespace {

constexpr int kMaxRecentFiles = 6;
constexpr size_t kMaxScalingDevices = 16; // the scaling plot's last device count

QSettings studioSettings()
{
    return QSettings("LPM Studio", "LPM Studio");
}

} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    setObjectName("LpmStudioMainWindow");
    setAcceptDrops(true); // ONNX models and designs dropped on the window
    network_ = new NetworkView(&model_, this);
    plots_ = new MetricPlots(this);
    timeline_ = new TimelinePlot(this);
    // Network on top, then the timeline and the plots, all visible at once;
    // the splitter's handles give any of them more room.
    auto* splitter = new QSplitter(Qt::Vertical, this);
    splitter->setObjectName("centralSplitter");
    splitter->addWidget(network_);
    splitter->addWidget(timeline_);
    splitter->addWidget(plots_);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    splitter->setStretchFactor(2, 3);
    setCentralWidget(splitter);

    devices_ = new DevicesPanel(&model_, this);
    plan_ = new PlanPanel(&model_, this);
    training_ = new TrainingPanel(&model_, this);
    auto dock = [this](QWidget* widget, const char* name, Qt::DockWidgetArea area) {
        auto* holder = new QDockWidget(this);
        holder->setObjectName(name);
        holder->setWidget(widget);
        addDockWidget(area, holder);
        return holder;
    };
    devicesDock_ = dock(devices_, "devicesDock", Qt::LeftDockWidgetArea);
    trainingDock_ = dock(training_, "trainingDock", Qt::LeftDockWidgetArea);
    planDock_ = dock(plan_, "planDock", Qt::RightDockWidgetArea);
    units_ = new UnitsPanel(&model_, this);
    unitsDock_ = dock(units_, "unitsDock", Qt::RightDockWidgetArea);
    tabifyDockWidget(planDock_, unitsDock_);
    planDock_->raise();
    connect(units_, &UnitsPanel::unitChosen, network_, &NetworkView::showUnit);
    connect(network_, &NetworkView::unitClicked, units_, &UnitsPanel::chooseUnit);

    createActions();
    createMenus();
    statusBar();

    connect(&model_, &DesignModel::designChanged, this, &MainWindow::refreshPredictionViews);
    connect(&model_, &DesignModel::editRejected, this,
            [this](const QString& reason) { statusBar()->showMessage(reason, 8000); });
    connect(&model_, &DesignModel::cpuProfileNeeded, this,
            [this](const QString& model, qint64 microBatchSize, int threads) {
                statusBar()->showMessage(threads == 1
                                             ? tr("Profiling %1 on one core of this CPU…").arg(model)
                                             : tr("Profiling %1 on %2 cores of this CPU…").arg(model).arg(threads));
                controller_.profileCpu(model, microBatchSize, threads);
            });
    connect(model_.undoStack(), &QUndoStack::cleanChanged, this, &MainWindow::updateTitle);
    connect(&controller_, &StudioController::profiled, &model_,
            [this](const QString& model, qint64 size, const DeviceCosts& costs) {
                statusBar()->showMessage(tr("Profiled %1 on this CPU.").arg(model), 5000);
                model_.provideCpuCosts(model, size, costs);
            });
    connect(&controller_, &StudioController::profileProgressed, this, [this](int done, int total) {
        statusBar()->showMessage(tr("Profiling round %1 of about %2 on one core of this CPU…").arg(done).arg(total));
    });
    connect(&controller_, &StudioController::statusChanged, training_, &TrainingPanel::showStatus);
    connect(&controller_, &StudioController::progressed, this, [this](const SessionProgress& progress) {
        plots_->addProgress(progress);
        training_->showProgress(progress.progress, progress.reference);
        if (!progress.reference)
            training_->showLiveEvaluation(progress.progress);
    });
    connect(&controller_, &StudioController::timelineMeasured, timeline_, &TimelinePlot::setMeasured);
    connect(&controller_, &StudioController::trainingFinished, this, [this](const SessionResult& result) {
        training_->setRunning(false, false);
        runTimeline_ = result.timeline;
        calibrateAction_->setEnabled(!runTimeline_.events.empty());
        const TrainSummary& summary = result.summary;
        QString text =
            summary.stopped
                ? tr("Stopped after %1 steps.").arg(summary.steps)
                : tr("Finished %1 steps in %2 s.").arg(summary.steps).arg(summary.trainingSeconds, 0, 'f', 1);
        if (summary.evaluated && DesignModel::isLanguageModel(runPlan_.model))
            text += " "
                    + tr("Validation loss %1 nats per byte (%2 bits per byte).")
                          .arg(summary.testLoss, 0, 'f', 4)
                          .arg(bitsPerByte(summary.testLoss), 0, 'f', 3);
        else if (summary.evaluated)
            text += " " + tr("Test accuracy %1.").arg(summary.testAccuracy, 0, 'f', 4);
        if (result.reference && summary.trainingSeconds > 0.0) {
            const double speedup = result.reference->trainingSeconds / summary.trainingSeconds;
            plots_->setMeasuredSpeedup(speedup);
            text += " "
                    + tr("Speedup %1× over the sequential reference; weights %2.")
                          .arg(speedup, 0, 'f', 2)
                          .arg(result.reference->weightsDigest == summary.weightsDigest
                                   ? tr("identical")
                                   : tr("differ (not an exact schedule)"));
        }
        training_->showStatus(text);
        statusBar()->showMessage(text);
    });
    connect(&controller_, &StudioController::failed, this, [this](const QString& message) {
        training_->setRunning(false, false);
        training_->showStatus(message);
        showError(tr("LPM Studio"), message);
    });
    connect(training_, &TrainingPanel::startRequested, this, &MainWindow::startTraining);
    connect(training_, &TrainingPanel::stopRequested, this, &MainWindow::stopTraining);
    connect(training_, &TrainingPanel::pauseRequested, this, [this](bool paused) {
        controller_.setPaused(paused);
        training_->setRunning(controller_.isTraining(), paused);
        pauseAction_->setChecked(paused);
    });

    QSettings settings = studioSettings();
    if (!restoreGeometry(settings.value("window/geometry").toByteArray()))
        resize(1500, 900);
    restoreState(settings.value("window/state").toByteArray());
    setLanguage(settings.value("language", "en").toString());
    retranslate();
    rebuildRecentMenu();
    updateTitle();
}

MainWindow::~MainWindow() = default;

QString MainWindow::bundledExamplePath()
{
    return defaultExamplePath();
}

void MainWindow::createActions()
{
    newAction_ = new QAction(this);
    newAction_->setShortcut(QKeySequence::New);
    connect(newAction_, &QAction::triggered, this, [this] {
        if (maybeSave())
            openExample();
    });
    openAction_ = new QAction(this);
    openAction_->setShortcut(QKeySequence::Open);
    connect(openAction_, &QAction::triggered, this, [this] {
        if (!maybeSave())
            return;
        const QString path = QFileDialog::getOpenFileName(this, tr("Open design"), QFileInfo(currentFile_).path(),
                                                          tr("LPM designs (*.lpm.json);;All files (*)"));
        if (!path.isEmpty())
            openDesign(path);
    });
    importOnnxAction_ = new QAction(this);
    connect(importOnnxAction_, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Import ONNX model"), QFileInfo(currentFile_).path(),
                                                          tr("ONNX models (*.onnx);;All files (*)"));
        if (!path.isEmpty())
            importOnnxModel(path);
    });
    saveAction_ = new QAction(this);
    saveAction_->setShortcut(QKeySequence::Save);
    saveAsAction_ = new QAction(this);
    saveAsAction_->setShortcut(QKeySequence::SaveAs);
    auto saveAs = [this] {
        QString path = QFileDialog::getSaveFileName(this, tr("Save design"),
                                                    currentFile_.isEmpty() ? "design.lpm.json" : currentFile_,
                                                    tr("LPM designs (*.lpm.json)"));
        if (path.isEmpty())
            return false;
        if (!path.endsWith(".lpm.json"))
            path += ".lpm.json";
        return saveDesign(path);
    };
    connect(saveAsAction_, &QAction::triggered, this, saveAs);
    connect(saveAction_, &QAction::triggered, this, [this, saveAs] {
        if (currentFile_.isEmpty() || currentFile_.startsWith(":"))
            saveAs();
        else
            saveDesign(currentFile_);
    });
    exportTimelineAction_ = new QAction(this);
    connect(exportTimelineAction_, &QAction::triggered, this, &MainWindow::exportTimeline);
    exportPlotAction_ = new QAction(this);
    connect(exportPlotAction_, &QAction::triggered, this, &MainWindow::exportPlot);
    quitAction_ = new QAction(this);
    quitAction_->setShortcut(QKeySequence::Quit);
    connect(quitAction_, &QAction::triggered, this, &QWidget::close);

    undoAction_ = model_.undoStack()->createUndoAction(this);
    undoAction_->setShortcut(QKeySequence::Undo);
    redoAction_ = model_.undoStack()->createRedoAction(this);
    redoAction_->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence::Redo});
    autoMergeAction_ = new QAction(this);
    autoMergeAction_->setShortcut(Qt::CTRL | Qt::Key_M);
    connect(autoMergeAction_, &QAction::triggered, &model_, &DesignModel::autoMerge);
    findUnitAction_ = new QAction(this);
    findUnitAction_->setShortcut(QKeySequence::Find);
    connect(findUnitAction_, &QAction::triggered, this, [this] {
        bool ok = false;
        const QString text =
            QInputDialog::getText(this, tr("Find unit"), tr("A layer's kind, settings or ONNX node name:"),
                                  QLineEdit::Normal, findText_, &ok);
        if (ok && !text.isEmpty()) {
            findText_ = text;
            findNextUnit();
        }
    });
    findNextAction_ = new QAction(this);
    findNextAction_->setShortcut(QKeySequence::FindNext);
    connect(findNextAction_, &QAction::triggered, this, [this] {
        if (!findText_.isEmpty())
            findNextUnit();
    });
    reprofileAction_ = new QAction(this);
    connect(reprofileAction_, &QAction::triggered, &model_, &DesignModel::reprofileCpu);
    calibrateAction_ = new QAction(this);
    calibrateAction_->setEnabled(false);
    connect(calibrateAction_, &QAction::triggered, this, [this] {
        if (model_.calibrateOn(runPlan_, runTimeline_))
            statusBar()->showMessage(tr("Costs calibrated on the last run's measured stage times."), 8000);
    });

    startAction_ = new QAction(this);
    startAction_->setShortcut(Qt::Key_F5);
    connect(startAction_, &QAction::triggered, this, &MainWindow::startTraining);
    pauseAction_ = new QAction(this);
    pauseAction_->setCheckable(true);
    pauseAction_->setShortcut(Qt::Key_F6);
    connect(pauseAction_, &QAction::triggered, this, [this](bool paused) {
        if (!controller_.isTraining())
            return;
        controller_.setPaused(paused);
        training_->setRunning(true, paused);
    });
    stopAction_ = new QAction(this);
    stopAction_->setShortcut(Qt::SHIFT | Qt::Key_F5);
    connect(stopAction_, &QAction::triggered, this, &MainWindow::stopTraining);

    englishAction_ = new QAction("English", this);
    chineseAction_ = new QAction(QString::fromUtf8("简体中文"), this);
    auto* languages = new QActionGroup(this);
    for (QAction* action : {englishAction_, chineseAction_}) {
        action->setCheckable(true);
        languages->addAction(action);
    }
    connect(englishAction_, &QAction::triggered, this, [this] { setLanguage("en"); });
    connect(chineseAction_, &QAction::triggered, this, [this] { setLanguage("zh_CN"); });
    aboutAction_ = new QAction(this);
    connect(aboutAction_, &QAction::triggered, this, [this] {
        QMessageBox::about(
            this, tr("About LPM Studio"),
            tr("<h3>LPM Studio %1</h3><p>Designs and runs pipeline-parallel training: it cuts a network "
               "layer-wise into partitions, merges them so that devices communicate little, and runs the "
               "forward and backward passes of different micro-batches on different devices at once.</p>"
               "<p>Built with Qt %2 and QCustomPlot.</p>")
                .arg(QApplication::applicationVersion(), QString::fromLatin1(qVersion())));
    });
}

void MainWindow::createMenus()
{
    fileMenu_ = menuBar()->addMenu(QString());
    fileMenu_->addActions({newAction_, openAction_, importOnnxAction_});
    recentMenu_ = fileMenu_->addMenu(QString());
    examplesMenu_ = fileMenu_->addMenu(QString());
    examplesMenu_->setToolTipsVisible(true);
    fileMenu_->addActions({saveAction_, saveAsAction_});
    fileMenu_->addSeparator();
    fileMenu_->addActions({exportTimelineAction_, exportPlotAction_});
    fileMenu_->addSeparator();
    fileMenu_->addAction(quitAction_);
    editMenu_ = menuBar()->addMenu(QString());
    editMenu_->addActions({undoAction_, redoAction_});
    editMenu_->addSeparator();
    editMenu_->addActions({findUnitAction_, findNextAction_});
    editMenu_->addSeparator();
    editMenu_->addActions({autoMergeAction_, reprofileAction_, calibrateAction_});
    runMenu_ = menuBar()->addMenu(QString());
    runMenu_->addActions({startAction_, pauseAction_, stopAction_});
    viewMenu_ = menuBar()->addMenu(QString());
    viewMenu_->addActions({devicesDock_->toggleViewAction(), planDock_->toggleViewAction(),
                           unitsDock_->toggleViewAction(), trainingDock_->toggleViewAction()});
    viewMenu_->addSeparator();
    languageMenu_ = viewMenu_->addMenu(QString());
    languageMenu_->addActions({englishAction_, chineseAction_});
    helpMenu_ = menuBar()->addMenu(QString());
    helpMenu_->addAction(aboutAction_);
}

void MainWindow::retranslate()
{
    fileMenu_->setTitle(tr("&File"));
    recentMenu_->setTitle(tr("Open &Recent"));
    examplesMenu_->setTitle(tr("&Examples"));
    rebuildExamplesMenu();
    editMenu_->setTitle(tr("&Edit"));
    runMenu_->setTitle(tr("&Run"));
    viewMenu_->setTitle(tr("&View"));
    languageMenu_->setTitle(tr("&Language"));
    helpMenu_->setTitle(tr("&Help"));
    newAction_->setText(tr("&New (from the example)"));
    openAction_->setText(tr("&Open…"));
    importOnnxAction_->setText(tr("&Import ONNX Model…"));
    importOnnxAction_->setStatusTip(tr("Plan a network exported from PyTorch (torch.onnx.export with a symbolic "
                                       "batch dimension); files can also be dropped on the window"));
    saveAction_->setText(tr("&Save"));
    saveAsAction_->setText(tr("Save &As…"));
    exportTimelineAction_->setText(tr("Export Timeline as Chrome Trace…"));
    exportPlotAction_->setText(tr("Export Plot as PNG or PDF…"));
    quitAction_->setText(tr("&Quit"));
    undoAction_->setText(tr("&Undo"));
    redoAction_->setText(tr("&Redo"));
    autoMergeAction_->setText(tr("&Auto-merge"));
    findUnitAction_->setText(tr("&Find Unit…"));
    findNextAction_->setText(tr("Find &Next Unit"));
    reprofileAction_->setText(tr("Profile Again on This CPU"));
    calibrateAction_->setText(tr("Calibrate Costs on the Last Run"));
    calibrateAction_->setStatusTip(tr("Scale each stage's predicted times to those the last pipelined run measured"));
    startAction_->setText(tr("&Start Training"));
    pauseAction_->setText(tr("&Pause"));
    stopAction_->setText(tr("S&top"));
    aboutAction_->setText(tr("&About LPM Studio"));
    devicesDock_->setWindowTitle(tr("Devices"));
    planDock_->setWindowTitle(tr("Plan"));
    unitsDock_->setWindowTitle(tr("Units"));
    trainingDock_->setWindowTitle(tr("Training"));
    updateTitle();
}

void MainWindow::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QMainWindow::changeEvent(event);
}

void MainWindow::setLanguage(const QString& language)
{
    QApplication::removeTranslator(&translator_);
    language_ = "en";
    if (language == "zh_CN") {
        if (translator_.load(":/i18n/lpm_studio_zh_CN.qm")) {
            QApplication::installTranslator(&translator_);
            language_ = "zh_CN";
        } else {
            statusBar()->showMessage("The Chinese translation is missing from this build.", 8000);
        }
    }
    englishAction_->setChecked(language_ == "en");
    chineseAction_->setChecked(language_ == "zh_CN");
    studioSettings().setValue("language", language_);
    if (language_ == "en") { // removing a translator sends no LanguageChange when none was installed
        QEvent change(QEvent::LanguageChange);
        for (QWidget* widget : QApplication::allWidgets())
            QApplication::sendEvent(widget, &change);
    }
}

void MainWindow::refreshPredictionViews()
{
    const Plan& plan = model_.plan();
    if (model_.predictionError().isEmpty()) {
        QStringList rows;
        for (const std::string& name : stageNames(plan))
            rows << QString::fromStdString(name);
        timeline_->setPredicted(model_.prediction().timeline, rows);
        // The 1..N curve re-partitions for every device count; cut edits (a drag) leave it as it is.
        const std::string scalingKey = plan.model + "|" + plan.deviceSpec + "|" + plan.schedule + "|" + plan.partitioner
                                       + "|" + plan.optimizer + "|" + std::to_string(plan.batch) + "|"
                                       + std::to_string(plan.microBatches) + "|"
                                       + std::to_string(plan.costs.devices.size());
        if (scalingKey != scalingKey_) {
            scalingKey_ = scalingKey;
            scaling_ = predictScaling(plan, kMaxScalingDevices);
        }
        plots_->setPredictedSpeedups(scaling_, model_.prediction().speedup);
    } else {
        timeline_->setPredicted({}, {});
        scalingKey_.clear();
        plots_->setPredictedSpeedups({}, 0.0);
    }
    updateTitle();
}

void MainWindow::updateTitle()
{
    const QString name = currentFile_.isEmpty() || currentFile_.startsWith(":") ? tr("example design")
                                                                                : QFileInfo(currentFile_).fileName();
    setWindowTitle(tr("%1%2 — LPM Studio").arg(name, model_.undoStack()->isClean() ? QString() : QString("*")));
}

void MainWindow::showError(const QString& title, const QString& message)
{
    statusBar()->showMessage(message, 15000);
    auto* box = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open(); // not modal for the event loop: training and plots go on
}

bool MainWindow::openDesign(const QString& path)
{
    Design design;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        showError(tr("Open design"), tr("The design was not opened: %1: %2").arg(path, file.errorString()));
        return false;
    }
    try {
        design = designFromJson(file.readAll().toStdString(), path.toStdString());
    } catch (const std::exception& error) {
        showError(tr("Open design"), tr("The design was not opened: %1").arg(QString::fromStdString(error.what())));
        return false;
    }
    // An imported model named relative to the design file is the one beside it.
    const QString modelFile = QString::fromStdString(design.plan.model);
    if (isOnnxModelName(design.plan.model) && QFileInfo(modelFile).isRelative() && !path.startsWith(":"))
        design.plan.model = design.plan.costs.model = QFileInfo(path).dir().absoluteFilePath(modelFile).toStdString();
    model_.resetDesign(design);
    currentFile_ = path;
    timeline_->clearMeasured();
    plots_->clear();
    if (!path.startsWith(":"))
        addRecentFile(path);
    updateTitle();
    statusBar()->showMessage(tr("Opened %1").arg(path), 5000);
    return true;
}

void MainWindow::openExample()
{
    openDesign(bundledExamplePath());
}

bool MainWindow::saveDesign(const QString& path)
{
    try {
        saveDesignFile(path.toStdString(), model_.design());
    } catch (const std::exception& error) {
        showError(tr("Save design"), tr("The design was not saved: %1").arg(QString::fromStdString(error.what())));
        return false;
    }
    currentFile_ = path;
    model_.undoStack()->setClean();
    addRecentFile(path);
    updateTitle();
    statusBar()->showMessage(tr("Saved %1").arg(path), 5000);
    return true;
}

bool MainWindow::maybeSave()
{
    if (!promptOnClose_ || model_.undoStack()->isClean())
        return true;
    const auto answer = QMessageBox::question(this, tr("Unsaved changes"), tr("Save the changes to this design first?"),
                                              QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
    if (answer == QMessageBox::Cancel)
        return false;
    if (answer == QMessageBox::Save) {
        saveAction_->trigger();
        return model_.undoStack()->isClean();
    }
    return true;
}

void MainWindow::addRecentFile(const QString& path)
{
    QSettings settings = studioSettings();
    QStringList files = settings.value("recentFiles").toStringList();
    files.removeAll(path);
    files.prepend(path);
    while (files.size() > kMaxRecentFiles)
        files.removeLast();
    settings.setValue("recentFiles", files);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    recentMenu_->clear();
    const QStringList files = studioSettings().value("recentFiles").toStringList();
    for (const QString& file : files) {
        QAction* action = recentMenu_->addAction(QFileInfo(file).fileName());
        action->setToolTip(file);
        connect(action, &QAction::triggered, this, [this, file] {
            if (maybeSave())
                openDesign(file);
        });
    }
    recentMenu_->setEnabled(!files.isEmpty());
}

void MainWindow::rebuildExamplesMenu()
{
    examplesMenu_->clear();
    for (const BundledExample& example : bundledExamples()) {
        QAction* action = examplesMenu_->addAction(example.title);
        action->setToolTip(example.summary);
        action->setStatusTip(example.summary);
        connect(action, &QAction::triggered, this, [this, path = example.path, summary = example.summary] {
            if (maybeSave() && openDesign(path))
                statusBar()->showMessage(summary, 15000);
        });
    }
}

void MainWindow::exportTimeline()
{
    const bool measured = !timeline_->measured().events.empty();
    const Timeline& timeline = measured ? timeline_->measured() : model_.prediction().timeline;
    if (timeline.events.empty()) {
        showError(tr("Export timeline"), tr("There is no timeline to export yet."));
        return;
    }
    const QString path = QFileDialog::getSaveFileName(this, tr("Export timeline"),
                                                      measured ? "measured-trace.json" : "predicted-trace.json",
                                                      tr("Chrome trace (*.json)"));
    if (path.isEmpty())
        return;
    try {
        writeFileAtomically(path.toStdString(), chromeTraceJson(timeline, stageNames(model_.plan())));
        statusBar()->showMessage(tr("Wrote the %1 timeline to %2 (open it in https://ui.perfetto.dev)")
                                     .arg(measured ? tr("measured") : tr("predicted"), path),
                                 8000);
    } catch (const std::exception& error) {
        showError(tr("Export timeline"), QString::fromStdString(error.what()));
    }
}

QString MainWindow::plotTitle(const QString& name) const
{
    const std::pair<const char*, QString> titles[] = {
        {"timeline", tr("Device timeline")},
        {"loss", tr("Training loss")},
        {"accuracy", tr("Test accuracy")},
        {"throughput", tr("Samples per second")},
        {"speedup", tr("Speedup, measured and predicted")},
        {"scaling", tr("Predicted speedup for 1 to N devices")},
    };
    for (const auto& [key, title] : titles)
        if (name == QLatin1String(key))
            return title;
    return name;
}

void MainWindow::exportPlot()
{
    const QStringList names = QStringList{"timeline"} + plots_->plotNames();
    QStringList titles;
    for (const QString& name : names)
        titles << plotTitle(name);
    bool chosen = false;
    const QString title =
        QInputDialog::getItem(this, tr("Export plot"), tr("Plot to export:"), titles, 0, false, &chosen);
    if (!chosen)
        return;
    const QString name = names.value(int(titles.indexOf(title)));
    const QString path = QFileDialog::getSaveFileName(this, tr("Export plot"), name + ".png",
                                                      tr("PNG image (*.png);;PDF document (*.pdf)"));
    if (!path.isEmpty())
        exportPlotTo(name, path);
}

bool MainWindow::exportPlotTo(const QString& name, const QString& path)
{
    QCustomPlot* plot = name == "timeline" ? timeline_->plot() : plots_->plot(name);
    if (plot == nullptr) {
        showError(tr("Export plot"), tr("There is no plot named '%1'.").arg(name));
        return false;
    }
    const bool written = path.endsWith(".pdf", Qt::CaseInsensitive) ? plot->savePdf(path) : plot->savePng(path);
    if (written)
        statusBar()->showMessage(tr("Wrote %1").arg(path), 5000);
    else
        showError(tr("Export plot"), tr("Could not write %1").arg(path));
    return written;
}

bool MainWindow::importOnnxModel(const QString& path)
{
    if (!onnxImportAvailable()) {
        showError(tr("Import ONNX model"), tr("This build has no ONNX import: install the Debian package libonnx-dev "
                                              "and build LPM Studio again."));
        return false;
    }
    // The model's refusal (a broken file, devices it cannot plan for) arrives
    // as editRejected while setModel runs: shown here as a dialog.
    QString refusal;
    const QMetaObject::Connection connection =
        connect(&model_, &DesignModel::editRejected, this, [&refusal](const QString& reason) { refusal = reason; });
    const bool imported = model_.setModel(QFileInfo(path).absoluteFilePath());
    disconnect(connection);
    if (!imported) {
        showError(tr("Import ONNX model"), refusal.isEmpty() ? tr("%1 could not be imported.").arg(path) : refusal);
        return false;
    }
    statusBar()->showMessage(
        tr("Imported %1: %n units.", nullptr, int(model_.outline().units.size())).arg(QFileInfo(path).fileName()),
        8000);
    return true;
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    for (const QUrl& url : event->mimeData()->urls())
        if (url.isLocalFile() && (url.path().endsWith(".onnx") || url.path().endsWith(".lpm.json"))) {
            event->acceptProposedAction();
            return;
        }
}

void MainWindow::dropEvent(QDropEvent* event)
{
    for (const QUrl& url : event->mimeData()->urls()) {
        if (!url.isLocalFile())
            continue;
        const QString path = url.toLocalFile();
        if (path.endsWith(".onnx")) {
            event->acceptProposedAction();
            importOnnxModel(path);
            return;
        }
        if (path.endsWith(".lpm.json")) {
            event->acceptProposedAction();
            if (maybeSave())
                openDesign(path);
            return;
        }
    }
}

void MainWindow::findNextUnit()
{
    const int unit = network_->findUnit(findText_);
    if (unit < 0) {
        statusBar()->showMessage(tr("No unit matches “%1”.").arg(findText_), 8000);
        return;
    }
    units_->chooseUnit(unit);
    const UnitOutline& part = model_.outline().units[size_t(unit)];
    statusBar()->showMessage(tr("Unit %1: %2 (%3)")
                                 .arg(unit)
                                 .arg(QString::fromStdString(part.kind), QString::fromStdString(part.description)),
                             8000);
}

void MainWindow::startTraining()
{
    if (const std::string why = whyNotTrainable(model_.plan().model); !why.empty()) {
        showError(tr("Start training"), tr("This model cannot be trained yet: %1. It can be planned, and its "
                                           "schedules predicted and compared.")
                                            .arg(QString::fromStdString(why)));
        return;
    }
    try {
        requireTrainableDevices(parseDeviceSet(model_.plan().deviceSpec));
    } catch (const std::exception& error) {
        showError(tr("Start training"), tr("These devices cannot train: %1.\n\nChoose CPU cores, or one of this "
                                           "machine's GPUs, in the devices panel.")
                                            .arg(QString::fromStdString(error.what())));
        return;
    }
    if (!model_.predictionError().isEmpty()) {
        showError(tr("Start training"), model_.predictionError());
        return;
    }
    plots_->clear();
    timeline_->clearMeasured();
    training_->prepareForRun();
    training_->setRunning(true, false);
    runPlan_ = model_.plan();
    runTimeline_ = {};
    calibrateAction_->setEnabled(false);
    controller_.startTraining(sessionRequestFor(model_.design()));
}

void MainWindow::stopTraining()
{
    controller_.stopTraining();
    training_->showStatus(tr("Stopping…"));
}

void MainWindow::saveSettings() const
{
    QSettings settings = studioSettings();
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (!maybeSave()) {
        event->ignore();
        return;
    }
    controller_.stopTraining(); // the controller's destructor waits for the thread
    saveSettings();
    event->accept();
}

} // namespace lpm::gui
