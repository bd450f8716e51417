// Which device sets a run can train on, for every front end alike (`lpm
// train`, the window, the terminal job): CPU cores, one stage each, or the
// stages of one local GPU (cuda:KxN, one stream each). Catalogue devices are
// for planning only, and stages on several GPUs are not available yet.
#pragma once

#include <string>

#include "devices/device_set.h"

namespace lpm {

// Throws InvalidArgument naming the device and what to choose instead when
// `set` cannot be trained on.
void requireTrainableDevices(const DeviceSet& set);

// The backend a trainable set's stages compute on: "cpu" or "cuda:K".
// Throws as requireTrainableDevices.
std::string trainingBackendFor(const DeviceSet& set);

} // namespace lpm
