// Which device sets a run can train on, for every front end alike (`lpm
// train`, the window, the terminal job): CPU cores, one stage each, or local
// GPUs, one stream per stage (cuda:KxN stages sharing GPU K, cuda:0,1 a stage
// on each of two GPUs). Catalogue devices are for planning only, and a run
// does not mix CPU and GPU stages.
#pragma once

#include <string>
#include <vector>

#include "devices/device_set.h"

namespace lpm {

// Throws InvalidArgument naming the device and what to choose instead when
// `set` cannot be trained on.
void requireTrainableDevices(const DeviceSet& set);

// The backend the trainer places the weights with and evaluates on: "cpu",
// or the first stage's GPU "cuda:K". Throws as requireTrainableDevices.
std::string trainingBackendFor(const DeviceSet& set);

// Each stage's backend, in pipeline order: "cpu" or "cuda:K".
// Throws as requireTrainableDevices.
std::vector<std::string> stageBackendsFor(const DeviceSet& set);

} // namespace lpm
