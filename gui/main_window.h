// LPM Studio's main window: the network view over the plots and the device
// timeline, with the devices, plan, units and training panels docked around them;
// File, Edit, Run, View and Help menus. It owns the DesignModel (what is being
// edited) and the StudioController (what runs), and wires them together.
#pragma once

#include <string>
#include <vector>

#include <QMainWindow>
#include <QTranslator>

#include "design_model.h"
#include "studio_controller.h"

class QAction;
class QMenu;

namespace lpm::gui {

class DevicesPanel;
class MetricPlots;
class NetworkView;
class PlanPanel;
class TimelinePlot;
class TrainingPanel;
class UnitsPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Opens a design file; on failure shows why and changes nothing.
    // Writes plot `name` ("timeline", or one of MetricPlots::plotNames()) as
    // PNG, or as PDF when `path` ends in .pdf; false (with a message shown)
    // for an unknown name or a file that cannot be written.
    bool exportPlotTo(const QString& name, const QString& path);
    // A plot's name as the user reads it, in the current language.
    QString plotTitle(const QString& name) const;
    bool openDesign(const QString& path);
    // Makes the ONNX file at `path` the design's model (File ▸ Import ONNX
    // Model…, or a file dropped on the window); on failure shows why
    // (a broken file, devices it cannot plan for) and changes nothing.
    bool importOnnxModel(const QString& path);
    // Opens the default bundled example (bundled_examples.h).
    void openExample();
    bool saveDesign(const QString& path);
    // "en" or "zh_CN"; persisted.
    void setLanguage(const QString& language);
    QString language() const { return language_; }
    // Closing asks about unsaved changes unless this is off (scripts, tests).
    void setPromptOnClose(bool prompt) { promptOnClose_ = prompt; }

    DesignModel* designModel() { return &model_; }
    StudioController* controller() { return &controller_; }
    MetricPlots* metricPlots() const { return plots_; }
    TimelinePlot* timelinePlot() const { return timeline_; }
    TrainingPanel* trainingPanel() const { return training_; }
    MetricPlots* plots() const { return plots_; }
    DevicesPanel* devicesPanel() const { return devices_; }
    PlanPanel* planPanel() const { return plan_; }
    UnitsPanel* unitsPanel() const { return units_; }
    NetworkView* networkView() const { return network_; }
    QAction* calibrateAction() const { return calibrateAction_; }

    static QString bundledExamplePath();

public slots:
    void startTraining();
    void stopTraining();
    // Highlights the next unit that matches the Find Unit text (the network
    // view's findUnit) and names it in the status bar.
    void findNextUnit();

protected:
    void closeEvent(QCloseEvent* event) override;
    void changeEvent(QEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override; // .onnx and .lpm.json files
    void dropEvent(QDropEvent* event) override;

private:
    void createActions();
    void createMenus();
    void retranslate();
    void refreshPredictionViews();
    void updateTitle();
    void showError(const QString& title, const QString& message);
    void addRecentFile(const QString& path);
    void rebuildRecentMenu();
    void rebuildExamplesMenu(); // File ▸ Examples, in the current language
    bool maybeSave();
    void exportTimeline();
    void exportPlot(); // asks which plot, then where
    void saveSettings() const;

    DesignModel model_;
    StudioController controller_;
    QTranslator translator_;
    QString language_ = "en";
    QString currentFile_;
    bool promptOnClose_ = true;
    std::string scalingKey_;      // the settings scaling_ was predicted for
    std::vector<double> scaling_; // predicted speedup on 1..N devices
    Plan runPlan_;                // the plan of the run in progress, or of the last one
    Timeline runTimeline_;        // that run's last measured segment; empty under sequential

    NetworkView* network_;
    MetricPlots* plots_;
    TimelinePlot* timeline_;
    DevicesPanel* devices_;
    PlanPanel* plan_;
    TrainingPanel* training_;
    UnitsPanel* units_;
    QDockWidget* devicesDock_;
    QDockWidget* planDock_;
    QDockWidget* unitsDock_;
    QDockWidget* trainingDock_;

    QMenu* fileMenu_;
    QMenu* recentMenu_;
    QMenu* examplesMenu_;
    QMenu* editMenu_;
    QMenu* runMenu_;
    QMenu* viewMenu_;
    QMenu* languageMenu_;
    QMenu* helpMenu_;
    QAction* newAction_;
    QAction* openAction_;
    QAction* importOnnxAction_;
    QAction* findUnitAction_;
    QAction* findNextAction_;
    QString findText_; // what Find Unit looks for
    QAction* saveAction_;
    QAction* saveAsAction_;
    QAction* exportTimelineAction_;
    QAction* exportPlotAction_;
    QAction* quitAction_;
    QAction* undoAction_;
    QAction* redoAction_;
    QAction* autoMergeAction_;
    QAction* reprofileAction_;
    QAction* calibrateAction_; // enabled once a pipelined run has measured a timeline
    QAction* startAction_;
    QAction* pauseAction_;
    QAction* stopAction_;
    QAction* englishAction_;
    QAction* chineseAction_;
    QAction* aboutAction_;
};

} // namespace lpm::gui
