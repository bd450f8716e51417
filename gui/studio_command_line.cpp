#include "studio_command_line.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QStringList>

namespace lpm::gui {

bool hasDisplay()
{
    for (const char* name : {"QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"}) {
        const char* value = std::getenv(name);
        if (value != nullptr && value[0] != '\0')
            return true;
    }
    return false;
}

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

TerminalArguments parseTerminalArguments(int argc, char** argv, const QString& defaultDesign)
{
    TerminalArguments job;
    job.design = defaultDesign;
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument == "--steps" || argument.starts_with("--steps=")) {
            const bool valueInline = argument.starts_with("--steps=");
            if (!valueInline && i + 1 >= argc) {
                std::fprintf(stderr, "lpm-studio: --steps needs a number of steps\n");
                job.exitCode = 2;
                return job;
            }
            job.steps = parseSteps(QString::fromLocal8Bit(valueInline ? argument.substr(8).c_str() : argv[++i]));
            if (job.steps == 0) {
                job.exitCode = 2;
                return job;
            }
            continue;
        }
        if (argument == "--help" || argument == "-h") {
            std::printf("usage: lpm-studio [design.lpm.json] [--train] [--steps N] [--screenshot FILE] "
                        "[--language en|zh_CN]\n\nWith a display, opens LPM Studio on the design (default: "
                        "the "
                        "bundled example).\nWithout one (no DISPLAY, WAYLAND_DISPLAY or QT_QPA_PLATFORM), "
                        "trains "
                        "the design in the terminal (--steps N: that many steps instead of its epochs).\n");
            job.exitCode = 0;
            return job;
        }
        if (argument.starts_with("-")) {
            std::fprintf(stderr,
                         "lpm-studio: %s needs a display; without one, lpm-studio only trains a design "
                         "file in the terminal, with --steps N if given (see `lpm train --help` for "
                         "more options)\n",
                         argv[i]);
            job.exitCode = 2;
            return job;
        }
        job.design = QString::fromLocal8Bit(argv[i]);
    }
    return job;
}

std::optional<StudioOptions> parseStudioOptions(const QCoreApplication& app)
{
    QCommandLineParser parser;
    parser.setApplicationDescription("LPM Studio: design and run pipeline-parallel training.");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("design", "A design file (*.lpm.json) to open; default: the bundled example.");
    const QCommandLineOption train("train", "Start training the design at once.");
    const QCommandLineOption screenshot("screenshot",
                                        "After training (implies --train), save the window to FILE and quit.", "FILE");
    const QCommandLineOption language("language", "Interface language: en or zh_CN.", "LANGUAGE");
    const QCommandLineOption steps("steps", "Train N steps instead of the design's epochs.", "N");
    parser.addOptions({train, screenshot, language, steps});
    parser.process(app);

    StudioOptions options;
    if (parser.isSet(steps)) {
        options.steps = parseSteps(parser.value(steps));
        if (options.steps == 0)
            return std::nullopt;
    }
    const QStringList files = parser.positionalArguments();
    if (!files.isEmpty())
        options.design = files.first();
    options.train = parser.isSet(train);
    if (parser.isSet(screenshot))
        options.screenshot = parser.value(screenshot);
    if (parser.isSet(language))
        options.language = parser.value(language);
    return options;
}

} // namespace lpm::gui
