// lpm-studio's command line, in its two modes:
//
//   lpm-studio [design.lpm.json] [--train] [--steps N] [--screenshot FILE] [--language zh_CN]
//
// With a display, QCommandLineParser reads every option (and answers --help
// and --version itself). Without one, the studio only trains a design in the
// terminal: a design file and --steps N are all it takes; any other option
// is refused with a message that says why.
#pragma once

#include <optional>

#include <QString>

class QCoreApplication;

namespace lpm::gui {

// True when Qt can open a window: QT_QPA_PLATFORM, DISPLAY or WAYLAND_DISPLAY is set and not empty.
bool hasDisplay();

// --steps' value: a positive step count, or 0 (with a message on stderr) when it is not one.
long long parseSteps(const QString& text);

// What to do without a display.
struct TerminalArguments {
    QString design;      // the design file to train; the default when none is given
    long long steps = 0; // > 0: train that many steps instead of the design's epochs
    int exitCode = -1;   // ≥ 0: exit at once with this code (after --help, or a refused argument)
};

// Reads argv[1 … argc − 1] for the terminal job; says on stderr why an argument is refused
// (exit code 2) and prints the usage on stdout for --help or -h (exit code 0).
TerminalArguments parseTerminalArguments(int argc, char** argv, const QString& defaultDesign);

// What to do with a display.
struct StudioOptions {
    std::optional<QString> design;     // the first positional argument; none: the bundled example
    bool train = false;                // start training the design once the window shows
    std::optional<QString> screenshot; // after training (implies train): save the window, quit
    std::optional<QString> language;   // "en" or "zh_CN"; none: the language last chosen
    long long steps = 0;               // > 0: train that many steps instead of the design's epochs
};

// Parses `app`'s arguments; exits the process for --help, --version and unknown options, as
// QCommandLineParser::process does. Nullopt (the message is on stderr) for a bad --steps.
std::optional<StudioOptions> parseStudioOptions(const QCoreApplication& app);

} // namespace lpm::gui
