#include "studio_launch.h"

#include <cstdio>

#include <QApplication>
#include <QScreen>
#include <QTimer>
#include <QWindow>

#include "event_loop_watch.h"
#include "main_window.h"
#include "metric_plots.h"
#include "timeline_plot.h"

namespace lpm::gui {

namespace {

// Saves the window to `file` and quits (exit code 0), unless a part of the
// window is empty, when the screenshot is not worth keeping, or the file
// cannot be written (exit code 1).
void saveScreenshotAndQuit(MainWindow& window, const QString& file)
{
    const int blocks = window.designModel()->unitCount();
    const int measured = window.timelinePlot()->measuredBoxCount();
    const int points = window.metricPlots()->pointCount("loss", 0);
    std::fprintf(stderr, "lpm-studio: %d unit blocks, %d measured timeline boxes, %d loss points\n", blocks, measured,
                 points);
    if (blocks == 0 || measured == 0 || points == 0) {
        std::fprintf(stderr, "lpm-studio: part of the window is empty; no screenshot saved\n");
        QApplication::exit(1);
        return;
    }
    const bool saved = window.grab().save(file);
    std::fprintf(stderr, saved ? "lpm-studio: saved %s\n" : "lpm-studio: could not save %s\n", qPrintable(file));
    QApplication::exit(saved ? 0 : 1);
}

// --screenshot: the window fills the screen; once training finishes, says
// how long the event loop stalled at most, then saves the screenshot; a
// failed run quits with exit code 1.
void saveScreenshotAfterTraining(MainWindow& window, EventLoopWatch& watch, const QString& file)
{
    window.setPromptOnClose(false);
    if (QScreen* screen = window.screen())
        window.setGeometry(screen->availableGeometry());
    StudioController* controller = window.controller();
    QObject::connect(controller, &StudioController::trainingStarted, &watch, &EventLoopWatch::start);
    QObject::connect(controller, &StudioController::trainingFinished, &window, [&window, &watch, file] {
        watch.stop();
        std::fprintf(stderr,
                     "lpm-studio: while training, the longest gap between 5 ms timer ticks was "
                     "%.1f ms (%lld ticks over %.1f s)\n",
                     watch.longestGapMs(), static_cast<long long>(watch.ticks()), watch.seconds());
        // Let the plots' 30 Hz timer draw the last points first.
        QTimer::singleShot(400, &window, [&window, file] { saveScreenshotAndQuit(window, file); });
    });
    QObject::connect(controller, &StudioController::failed, &window, [](const QString& message) {
        std::fprintf(stderr, "lpm-studio: %s\n", qPrintable(message));
        QApplication::exit(1);
    });
}

// Starts training once the window is on screen at its final size, as a
// user's Start press does: its first layout and paint are not training stalls.
void trainOnceShown(MainWindow& window)
{
    auto* waitForWindow = new QTimer(&window);
    QObject::connect(waitForWindow, &QTimer::timeout, &window, [&window, waitForWindow] {
        if (window.windowHandle() == nullptr || !window.windowHandle()->isExposed())
            return;
        waitForWindow->stop();
        waitForWindow->deleteLater();
        QTimer::singleShot(100, &window, [&window] { window.startTraining(); });
    });
    waitForWindow->start(10);
}

} // namespace

int runStudio(const StudioOptions& options)
{
    MainWindow window;
    if (options.language)
        window.setLanguage(*options.language);
    window.show();
    if (!options.design || !window.openDesign(*options.design))
        window.openExample();
    if (options.steps > 0) {
        TrainingSettings settings = window.designModel()->design().training;
        settings.steps = options.steps;
        window.designModel()->setTrainingSettings(settings);
    }
    EventLoopWatch watch;
    if (options.screenshot)
        saveScreenshotAfterTraining(window, watch, *options.screenshot);
    if (options.train || options.screenshot)
        trainOnceShown(window);
    return QApplication::exec();
}

} // namespace lpm::gui
