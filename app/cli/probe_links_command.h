// `lpm probe-links`: under mpirun, the latency and bandwidth between
// neighbouring ranks (dist/link_probe.h), printed by rank 0 and written as
// JSON with --json.
#pragma once

#include <CLI/CLI.hpp>

namespace lpm::cli {

void addProbeLinksCommand(CLI::App& app);

} // namespace lpm::cli
