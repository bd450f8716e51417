// The planning commands: `lpm devices`, `lpm profile`, `lpm plan` and
// `lpm simulate` (DESIGN §1.2–§3). They print what a plan will do; none of
// them trains.
#pragma once

#include <CLI/CLI.hpp>

namespace lpm::cli {

void addDevicesCommand(CLI::App& app);
void addProfileCommand(CLI::App& app);
void addPlanCommand(CLI::App& app);
void addSimulateCommand(CLI::App& app);

} // namespace lpm::cli
