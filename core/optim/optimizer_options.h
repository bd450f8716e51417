// An optimizer's settings, as plain values (no tensor headers).
#pragma once

#include <string>

namespace lpm {

struct OptimizerOptions {
    std::string kind = "sgd"; // "sgd" or "adam"
    float learningRate = 0.05f;
    float momentum = 0.9f; // SGD only
    bool nesterov = false; // SGD only
    float weightDecay = 0.0f;
    float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f; // Adam only
};

// The learning rate a run uses when none is given: 0.05 for SGD, 0.001 for Adam.
inline double defaultLearningRate(const std::string& kind)
{
    return kind == "adam" ? 1e-3 : 0.05;
}

} // namespace lpm
