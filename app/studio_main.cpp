// lpm-studio: the desktop application. With a display it opens the main
// window on the design given (or the bundled example); without one it runs
// the same design's training in the terminal, so the README's main command
// works on a server too.
//
//   lpm-studio [design.lpm.json] [--train] [--steps N] [--screenshot FILE] [--language zh_CN]
//
// The command line is read by gui/studio_command_line.h, the window run by
// gui/studio_launch.h, the terminal job by studio_terminal_job.h.
#include <optional>

#include <QApplication>
#include <QIcon>

#include "backend/cpu/blas_kernel.h"
#include "graph/onnx_model_builder.h"
#include "main_window.h"
#include "studio_command_line.h"
#include "studio_launch.h"
#include "studio_terminal_job.h"

int main(int argc, char** argv)
{
    lpm::selectBlasKernel(argv); // may re-execute this program on a better BLAS kernel
    lpm::addOnnxModelSource();   // an imported model trains and profiles like a zoo model
    if (!lpm::gui::hasDisplay()) {
        const lpm::gui::TerminalArguments job =
            lpm::gui::parseTerminalArguments(argc, argv, lpm::gui::MainWindow::bundledExamplePath());
        return job.exitCode >= 0 ? job.exitCode : lpm::studio::trainInTerminal(job.design, job.steps);
    }
    QApplication app(argc, argv);
    QApplication::setOrganizationName("LPM Studio");
    QApplication::setApplicationName("LPM Studio");
    QApplication::setApplicationVersion(LPM_VERSION);
    QApplication::setWindowIcon(QIcon(":/icons/lpm-studio.png"));
    const std::optional<lpm::gui::StudioOptions> options = lpm::gui::parseStudioOptions(app);
    return options ? lpm::gui::runStudio(*options) : 2;
}
