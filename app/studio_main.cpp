// lpm-studio: the desktop application. With a display it opens the main
// window on the design given (or the bundled example); without one it runs
// the same design's training in the terminal, so the README's main command
// works on a server too.
//
//   lpm-studio [design.lpm.json] [--train] [--steps N] [--screenshot FILE] [--language zh_CN]
#include <cstdio>
#include <cstdlib>

#include <algorithm>

#include <QApplication>
#include <QElapsedTimer>
#include <QScreen>
#include <QCommandLineParser>
#include <QFile>
#include <QTimer>
#include <QWindow>

#include "backend/cpu/blas_kernel.h"
#include "bundled_examples.h"
#include "cli/progress_bar.h"
#include "main_window.h"
#include "metric_plots.h"
#include "timeline_plot.h"
#include "train/design.h"

namespace {

// Measures how responsive the event loop stays: a 5 ms timer's longest gap
// between two ticks (a stall of the window shows as a long gap).
class EventLoopWatch : public QObject {
public:
    EventLoopWatch()
    {
        timer_.setTimerType(Qt::PreciseTimer);
        timer_.setInterval(5);
        QObject::connect(&timer_, &QTimer::timeout, this, [this] {
            const qint64 now = clock_.nsecsElapsed();
            longest_ = std::max(longest_, now - last_);
            last_ = now;
            ++ticks_;
        });
    }
    void start()
    {
        clock_.start();
        last_ = longest_ = ticks_ = 0;
        timer_.start();
    }
    void stop()
    {
        timer_.stop();
        seconds_ = double(clock_.nsecsElapsed()) / 1e9;
    }
    double longestGapMs() const { return double(longest_) / 1e6; }
    qint64 ticks() const { return ticks_; }
    double seconds() const { return seconds_; }

private:
    QTimer timer_;
    QElapsedTimer clock_;
    qint64 last_ = 0;
    qint64 longest_ = 0;
    qint64 ticks_ = 0;
    double seconds_ = 0.0;
};

bool hasDisplay()
{
    for (const char* name : {"QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"}) {
        const char* value = std::getenv(name);
        if (value != nullptr && value[0] != '\0')
            return true;
    }
    return false;
}

// --steps' value: a positive step count, or 0 (with a message) when it is not one.
long long parseSteps(const QString& text)
{
    bool number = false;
    const long long steps = text.toLongLong(&number);
    if (!number || steps < 1) {
        std::fprintf(stderr, "lpm-studio: --steps: expected a positive number of steps, got '%s'\n", qPrintable(text));
        return 0;
    }
    return steps;
}

// The terminal job: trains the design with a progress line, as `lpm train` would;
// steps > 0 replaces the design's epochs.
int trainInTerminal(const QString& path, long long steps)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr, "lpm-studio: %s: cannot be read\n", qPrintable(path));
        return 1;
    }
    try {
        lpm::Design design = lpm::designFromJson(file.readAll().toStdString(), path.toStdString());
        if (steps > 0)
            design.training.steps = steps;
        const lpm::SessionRequest request = lpm::sessionRequestFor(design);
        std::fprintf(stderr,
                     "lpm-studio: no display, so the design runs in the terminal: %s on %s, %s schedule, %zu stages\n",
                     design.plan.model.c_str(), design.plan.deviceSpec.c_str(), design.plan.schedule.c_str(),
                     design.plan.stages.size());
        for (const lpm::gui::BundledExample& example : lpm::gui::bundledExamples())
            if (example.path == path)
                std::fprintf(stderr, "  %s: %s\n", qPrintable(example.title), qPrintable(example.summary));
        std::fprintf(stderr, "  %s\n", lpm::blasKernelReport().describe().c_str());
        lpm::cli::ProgressBar bar(stderr);
        lpm::SessionEvents events;
        events.status = [&](const lpm::SessionStatus& status) {
            bar.finish();
            std::fprintf(stderr, "%s\n", status.text().c_str());
        };
        events.progress = [&](const lpm::SessionProgress& progress) {
            const lpm::TrainProgress& report = progress.progress;
            char detail[160];
            const int length = std::snprintf(detail, sizeof detail, "%sloss %.4f  %.0f samples/s",
                                             progress.reference ? "reference  " : "",
                                             report.meanLoss, report.samplesPerSecond);
            if (report.subsetSize > 0 && length < int(sizeof detail))
                std::snprintf(detail + length, sizeof detail - size_t(length), "  subset acc %.4f",
                              report.subsetAccuracy);
            bar.update({report.step, report.totalSteps, report.wallSeconds, detail}, report.evaluated);
        };
        lpm::SessionControl control;
        const lpm::SessionResult result = lpm::runTrainingSession(request, events, control);
        bar.finish();
        std::printf("%lld steps in %.1f s of training (%.0f samples/s)", static_cast<long long>(result.summary.steps),
                    result.summary.trainingSeconds, result.summary.samplesPerSecond);
        if (result.summary.evaluated)
            std::printf(", test accuracy %.4f", result.summary.testAccuracy);
        if (result.reference && result.summary.trainingSeconds > 0.0)
            std::printf("; speedup %.2fx over the sequential reference, weights %s", 
                        result.reference->trainingSeconds / result.summary.trainingSeconds,
                        result.reference->weightsDigest == result.summary.weightsDigest ? "identical" : "differ");
        std::printf("\n");
        return 0;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "lpm-studio: %s\n", error.what());
        return 1;
    }
}

} // namespace

int main(int argc, char** argv)
{
    lpm::selectBlasKernel(argv); // may re-execute this program on a better BLAS kernel
    if (!hasDisplay()) {
        QString path = lpm::gui::MainWindow::bundledExamplePath();
        long long steps = 0;
        for (int i = 1; i < argc; ++i) {
            const std::string argument = argv[i];
            if (argument == "--steps" || argument.starts_with("--steps=")) {
                const bool valueInline = argument.starts_with("--steps=");
                if (!valueInline && i + 1 >= argc) {
                    std::fprintf(stderr, "lpm-studio: --steps needs a number of steps\n");
                    return 2;
                }
                steps = parseSteps(QString::fromLocal8Bit(valueInline ? argument.substr(8).c_str() : argv[++i]));
                if (steps == 0)
                    return 2;
                continue;
            }
            if (argument == "--help" || argument == "-h") {
                std::printf("usage: lpm-studio [design.lpm.json] [--train] [--steps N] [--screenshot FILE] "
                            "[--language en|zh_CN]\n\nWith a display, opens LPM Studio on the design (default: the "
                            "bundled example).\nWithout one (no DISPLAY, WAYLAND_DISPLAY or QT_QPA_PLATFORM), trains "
                            "the design in the terminal (--steps N: that many steps instead of its epochs).\n");
                return 0;
            }
            if (argument.starts_with("-")) {
                std::fprintf(stderr, "lpm-studio: %s needs a display; without one, lpm-studio only trains a design "
                                     "file in the terminal, with --steps N if given (see `lpm train --help` for "
                                     "more options)\n", argv[i]);
                return 2;
            }
            path = QString::fromLocal8Bit(argv[i]);
        }
        return trainInTerminal(path, steps);
    }
    QApplication app(argc, argv);
    QApplication::setOrganizationName("LPM Studio");
    QApplication::setApplicationName("LPM Studio");
    QApplication::setApplicationVersion(LPM_VERSION);
    QApplication::setWindowIcon(QIcon(":/icons/lpm-studio.png"));

    QCommandLineParser parser;
    parser.setApplicationDescription("LPM Studio: design and run pipeline-parallel training.");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("design", "A design file (*.lpm.json) to open; default: the bundled example.");
    const QCommandLineOption train("train", "Start training the design at once.");
    const QCommandLineOption screenshot("screenshot", "After training (implies --train), save the window to FILE and quit.",
                                        "FILE");
    const QCommandLineOption language("language", "Interface language: en or zh_CN.", "LANGUAGE");
    const QCommandLineOption steps("steps", "Train N steps instead of the design's epochs.", "N");
    parser.addOptions({train, screenshot, language, steps});
    parser.process(app);
    const long long stepCount = parser.isSet(steps) ? parseSteps(parser.value(steps)) : 0;
    if (parser.isSet(steps) && stepCount == 0)
        return 2;

    lpm::gui::MainWindow window;
    if (parser.isSet(language))
        window.setLanguage(parser.value(language));
    window.show();
    const QStringList files = parser.positionalArguments();
    if (files.isEmpty() || !window.openDesign(files.first()))
        window.openExample();
    if (stepCount > 0) {
        lpm::TrainingSettings settings = window.designModel()->design().training;
        settings.steps = stepCount;
        window.designModel()->setTrainingSettings(settings);
    }
    EventLoopWatch watch;
    if (parser.isSet(screenshot)) {
        window.setPromptOnClose(false);
        if (QScreen* screen = window.screen())
            window.setGeometry(screen->availableGeometry());
        const QString file = parser.value(screenshot);
        QObject::connect(window.controller(), &lpm::gui::StudioController::trainingStarted, &watch, &EventLoopWatch::start);
        QObject::connect(window.controller(), &lpm::gui::StudioController::trainingFinished, &window, [&window, &watch, file] {
            watch.stop();
            std::fprintf(stderr, "lpm-studio: while training, the longest gap between 5 ms timer ticks was %.1f ms "
                                 "(%lld ticks over %.1f s)\n",
                         watch.longestGapMs(), static_cast<long long>(watch.ticks()), watch.seconds());
            // Let the plots' 30 Hz timer draw the last points first.
            QTimer::singleShot(400, &window, [&window, file] {
                // The screenshot is only worth keeping when every part of the window shows something.
                const int blocks = window.designModel()->unitCount();
                const int measured = window.timelinePlot()->measuredBoxCount();
                const int points = window.metricPlots()->pointCount("loss", 0);
                std::fprintf(stderr, "lpm-studio: %d unit blocks, %d measured timeline boxes, %d loss points\n", blocks,
                             measured, points);
                if (blocks == 0 || measured == 0 || points == 0) {
                    std::fprintf(stderr, "lpm-studio: part of the window is empty; no screenshot saved\n");
                    QApplication::exit(1);
                    return;
                }
                const bool saved = window.grab().save(file);
                std::fprintf(stderr, saved ? "lpm-studio: saved %s\n" : "lpm-studio: could not save %s\n", qPrintable(file));
                QApplication::exit(saved ? 0 : 1);
            });
        });
        QObject::connect(window.controller(), &lpm::gui::StudioController::failed, &app, [](const QString& message) {
            std::fprintf(stderr, "lpm-studio: %s\n", qPrintable(message));
            QApplication::exit(1);
        });
    }
    if (parser.isSet(train) || parser.isSet(screenshot)) {
        // Start once the window is on screen at its final size, as a user's
        // Start press is: its first layout and paint are not training stalls.
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
    return app.exec();
}
