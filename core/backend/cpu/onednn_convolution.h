// Convolution on oneDNN (Debian's libdnnl 2.6): the kernels of the CPU backend's
// Conv2d, chosen by oneDNN at run time from the CPU's instruction set (jit
// kernels for AVX-512, AVX2, SSE4.1; a reference kernel otherwise), so they
// never execute an instruction that the CPU lacks.
//
// LPM's layouts stay at the interface: activations (N, C, H, W), weights
// (Cout, Cin, Kh, Kw), bias (Cout). Inside, each primitive works in the layout
// it prefers (for example nChw16c: channels in blocks of 16, innermost), and
// reorders convert at the edges, into buffers that the caller provides.
//
// Determinism: every primitive is created and run with one OpenMP thread, so
// its arithmetic depends only on the shape; a OneDnnConvolution may run on
// several threads at once, each with its own workspace (user scratchpads).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include <oneapi/dnnl/dnnl.hpp>

#include "backend/backend.h"

namespace lpm {

// One change of layout, `from` → `to`, by a oneDNN reorder created once. When
// the layouts agree nothing is created and callers use the source buffer.
class LayoutConversion {
public:
    LayoutConversion() = default;
    LayoutConversion(const dnnl::engine& engine, const dnnl::memory::desc& from, const dnnl::memory::desc& to);

    bool needed() const { return needed_; }
    const dnnl::memory::desc& target() const { return to_; }
    int64_t scratchpadFloats() const;
    // to (target layout) = from; `scratchpad` holds scratchpadFloats().
    void run(dnnl::stream& stream, const float* from, float* to, float* scratchpad) const;

private:
    dnnl::engine engine_;
    dnnl::memory::desc from_, to_;
    dnnl::reorder::primitive_desc desc_;
    dnnl::reorder reorder_;
    bool needed_ = false;
};

// Which layout of the weights a call needs: the forward primitive's, the
// backward-data primitive's, or none (a backward without input gradient).
enum class WeightsFor { Forward, BackwardData, Nothing };

// The primitives of one shape: geometry (its batch is the group of samples one
// call handles) and whether the layer has a bias.
class OneDnnConvolution {
public:
    OneDnnConvolution(const dnnl::engine& engine, const Conv2dGeometry& geometry, bool hasBias);

    // Floats of the buffers a call needs, each 64-byte aligned by the caller:
    // the weights in a primitive's layout, and one member's workspace
    // (reordered activations and gradients, scratchpads).
    int64_t blockedWeightsFloats() const;
    int64_t workspaceFloats() const { return workspaceFloats_; }

    // weight (Cout, Cin, Kh, Kw) → blockedWeights in the layout `use` needs, once
    // per call before the groups run (nothing for WeightsFor::Nothing), with
    // the calling member's workspace.
    void reorderWeights(WeightsFor use, const float* weight, float* blockedWeights, float* workspace) const;

    // output (N, Cout, Ho, Wo) = conv(input (N, Cin, H, W)) + bias (nullptr when
    // none); blockedWeights in the forward layout.
    void forward(const float* input, const float* blockedWeights, const float* bias, float* output,
                 float* workspace) const;

    // gradInput (N, Cin, H, W) = ∂L/∂input (overwritten; skipped when nullptr,
    // else blockedWeights in the backward-data layout); gradWeight (Cout, Cin,
    // Kh, Kw) and gradBias (Cout) = this group's weight and bias gradients
    // (overwritten; gradBias only when the layer has a bias; both skipped when
    // gradWeight is nullptr).
    void backward(const float* input, const float* gradOutput, const float* blockedWeights, float* gradInput,
                  float* gradWeight, float* gradBias, float* workspace) const;

    // oneDNN's name for the forward kernel, e.g. "jit:avx512_core".
    std::string forwardImplementation() const;

private:
    dnnl::engine engine_;
    bool hasBias_;
    dnnl::memory::desc userBias_;
    dnnl::convolution_forward::primitive_desc forwardDesc_;
    dnnl::convolution_backward_data::primitive_desc backwardDataDesc_;
    dnnl::convolution_backward_weights::primitive_desc backwardWeightsDesc_;
    dnnl::convolution_forward forward_;
    dnnl::convolution_backward_data backwardData_;
    dnnl::convolution_backward_weights backwardWeights_;
    // LPM's layouts → the primitives' and back.
    LayoutConversion weightsToForward_, weightsToBackwardData_;
    LayoutConversion inputToForward_, forwardToOutput_;
    LayoutConversion gradOutputToData_, dataToGradInput_;
    LayoutConversion inputToWeights_, gradOutputToWeights_, weightsGradientToUser_;
    int64_t workspaceFloats_ = 0;
};

// The OneDnnConvolutions a backend has used, by shape; created on first use.
// Not thread-safe: one backend's calling thread looks them up.
class OneDnnConvolutions {
public:
    OneDnnConvolutions();
    const OneDnnConvolution& get(const Conv2dGeometry& geometry, bool hasBias);

private:
    using Key = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool>;
    dnnl::engine engine_;
    std::map<Key, std::unique_ptr<OneDnnConvolution>> byShape_;
};

} // namespace lpm
