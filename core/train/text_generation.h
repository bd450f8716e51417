// Sampling text from a byte-level language model: `lpm generate`, and the
// sample the studio shows after each evaluation.
//
// Each new byte is predicted from the last min(T, length) bytes of the text
// so far (T: the model's context): they fill positions 0.. of one (1, T)
// window, the rest of which is padding that causal attention keeps from the
// prediction, and the logits of the last filled position are the next byte's.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "backend/backend.h"
#include "nn/model.h"

namespace lpm {

struct GenerationOptions {
    int64_t bytes = 200;      // bytes to generate
    float temperature = 1.0f; // 0: always the most likely byte; else softmax(logits / temperature)
    uint64_t seed = 1;        // byte i of the continuation draws from RandomStream(deriveKey(seed, i))
};

// Throws InvalidArgument unless `model` is a byte-level language model
// (token ids in, 256 classes out); names the model.
void requireByteLanguageModel(const Model& model);

// The continuation of `prompt` (bytes; empty: it starts after a newline),
// options.bytes long, from `model`, whose parameters must be bound to a
// store holding the weights, evaluated on `backend` (host memory).
// `onByte` (may be empty) receives each byte as soon as it is drawn.
std::string continueText(Backend& backend, Model& model, const std::string& prompt, const GenerationOptions& options,
                         const std::function<void(char)>& onByte = {});

} // namespace lpm
