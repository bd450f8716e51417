// lpm-studio without a display: trains a design in the terminal with a
// progress line, as `lpm train` would, then prints one line of results
// (steps, seconds, throughput, test accuracy, speedup over the sequential
// reference and whether the weights are identical).
#pragma once

#include <QString>

namespace lpm::studio {

// Trains the design file at `path`; steps > 0 replaces the design's epochs.
// Returns the exit code: 0, or 1 (with the reason on stderr) when the file
// cannot be read or the design cannot be trained.
int trainInTerminal(const QString& path, long long steps);

} // namespace lpm::studio
