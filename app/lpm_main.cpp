// lpm: the LPM Studio command line. A thin main: parses the command line and
// hands over to the subcommands in cli/. Errors from the core (lpm::Error) and
// from parsing are printed as one line on stderr with a non-zero exit.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "backend/cpu/blas_kernel.h"
#include "cli/check_backend_command.h"
#include "cli/generate_command.h"
#include "cli/import_command.h"
#include "cli/infer_command.h"
#include "cli/models_command.h"
#include "cli/plan_commands.h"
#include "cli/probe_links_command.h"
#include "cli/train_command.h"
#include "graph/onnx_model_builder.h"
#include "tensor/error.h"

int main(int argc, char** argv)
{
    lpm::selectBlasKernel(argv); // may re-execute this program on a better BLAS kernel
    lpm::addOnnxModelSource();   // --model PATH.onnx wherever a model is built
    CLI::App app("LPM Studio command line: layer-wise partitioning and merging, pipelined "
                 "training of deep networks",
                 "lpm");
    app.set_version_flag("--version", "lpm 0.1.0");
    // At most one subcommand; "none" is reported after parsing, so that an unknown
    // word is named as such instead of as a missing subcommand.
    app.require_subcommand(0, 1);
    app.footer("Run `lpm COMMAND --help` for the options of a command.");
    lpm::cli::addTrainCommand(app);
    lpm::cli::addGenerateCommand(app);
    lpm::cli::addInferCommand(app);
    lpm::cli::addModelsCommand(app);
    lpm::cli::addImportCommand(app);
    lpm::cli::addDevicesCommand(app);
    lpm::cli::addProfileCommand(app);
    lpm::cli::addPlanCommand(app);
    lpm::cli::addSimulateCommand(app);
    lpm::cli::addCheckBackendCommand(app);
    lpm::cli::addProbeLinksCommand(app);
    try {
        app.parse(argc, argv);
        if (app.get_subcommands().empty())
            throw CLI::RequiredError("A subcommand");
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForAllHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForVersion& version) {
        return app.exit(version);
    } catch (const CLI::ParseError& error) {
        std::fprintf(stderr, "lpm: %s (see lpm --help)\n", error.what());
        return 2;
    } catch (const lpm::Error& error) {
        std::fprintf(stderr, "lpm: error: %s\n", error.what());
        return 1;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "lpm: internal error: %s\n", error.what());
        return 3;
    }
    return 0;
}
