// OneDnnConvolution: oneDNN's convolution primitives for one shape, with the
// reorders between LPM's layouts and theirs. See onednn_convolution.h.
#include "backend/cpu/onednn_convolution.h"

#include <omp.h>

#include <algorithm>
#include <unordered_map>

namespace lpm
{

namespace
{

using dnnl::memory;
using Tag = memory::format_tag;

constexpr memory::data_type kF32 = memory::data_type::f32;

// oneDNN's Debian build runs its kernels on OpenMP. One thread per call: the
// backend's own team supplies the parallelism, over fixed groups of samples,
// so the arithmetic of a primitive never depends on the thread count. The
// setting is per thread, so every thread that creates or runs a primitive
// makes it first.
void useOneOpenMpThread()
{
    if (omp_get_max_threads() != 1)
        omp_set_num_threads(1);
}

// Floats for a buffer of `desc`, rounded up to 64 bytes so buffers carved one
// after another from a workspace stay aligned.
int64_t floatsFor(const memory::desc& desc)
{
    return static_cast<int64_t>((desc.get_size() + 63) / 64 * 16);
}

dnnl::primitive_attr userScratchpad()
{
    dnnl::primitive_attr attribute;
    attribute.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    return attribute;
}

// Copies `from` (layout `fromDesc`) into `to` (layout `toDesc`).
void convert(const dnnl::engine& engine, dnnl::stream& stream, const memory::desc& fromDesc,
             const float* from, const memory::desc& toDesc, float* to)
{
    memory source(fromDesc, engine, const_cast<float*>(from));
    memory target(toDesc, engine, to);
    dnnl::reorder(source, target).execute(stream, source, target);
}

// Carves consecutive aligned buffers out of one member's workspace.
class Carver
{
  public:
    explicit Carver(float* base) : next_(base) {}
    float* take(const memory::desc& desc)
    {
        float* buffer = next_;
        next_ += floatsFor(desc);
        return buffer;
    }

  private:
    float* next_;
};

} // namespace

OneDnnConvolution::OneDnnConvolution(const dnnl::engine& engine, const Conv2dGeometry& g,
                                     bool hasBias)
    : engine_(engine), hasBias_(hasBias)
{
    useOneOpenMpThread();
    const memory::dims input{g.batch, g.inChannels, g.inHeight, g.inWidth};
    const memory::dims output{g.batch, g.outChannels, g.outHeight(), g.outWidth()};
    const memory::dims weights{g.outChannels, g.inChannels, g.kernelHeight, g.kernelWidth};
    const memory::dims bias{g.outChannels};
    const memory::dims strides{g.stride, g.stride}, padding{g.padding, g.padding};
    userInput_ = memory::desc(input, kF32, Tag::nchw);
    userOutput_ = memory::desc(output, kF32, Tag::nchw);
    userWeights_ = memory::desc(weights, kF32, Tag::oihw);
    userBias_ = memory::desc(bias, kF32, Tag::x);
    const memory::desc anyInput(input, kF32, Tag::any), anyOutput(output, kF32, Tag::any),
        anyWeights(weights, kF32, Tag::any);
    const auto attribute = userScratchpad();
    const auto direct = dnnl::algorithm::convolution_direct;

    using Forward = dnnl::convolution_forward;
    const auto forward =
        hasBias ? Forward::desc(dnnl::prop_kind::forward_training, direct, anyInput, anyWeights,
                                userBias_, anyOutput, strides, padding, padding)
                : Forward::desc(dnnl::prop_kind::forward_training, direct, anyInput, anyWeights,
                                anyOutput, strides, padding, padding);
    forwardDesc_ = Forward::primitive_desc(forward, attribute, engine_);

    using BackwardData = dnnl::convolution_backward_data;
    backwardDataDesc_ = BackwardData::primitive_desc(
        BackwardData::desc(direct, anyInput, anyWeights, anyOutput, strides, padding, padding),
        attribute, engine_, forwardDesc_);

    using BackwardWeights = dnnl::convolution_backward_weights;
    const auto backwardWeights =
        hasBias ? BackwardWeights::desc(direct, anyInput, anyWeights, userBias_, anyOutput, strides,
                                        padding, padding)
                : BackwardWeights::desc(direct, anyInput, anyWeights, anyOutput, strides, padding,
                                        padding);
    backwardWeightsDesc_ =
        BackwardWeights::primitive_desc(backwardWeights, attribute, engine_, forwardDesc_);

    forward_ = Forward(forwardDesc_);
    backwardData_ = BackwardData(backwardDataDesc_);
    backwardWeights_ = BackwardWeights(backwardWeightsDesc_);
    forwardWeightsFloats_ = floatsFor(forwardDesc_.weights_desc());
    backwardWeightsFloats_ = floatsFor(backwardDataDesc_.weights_desc());
}

int64_t OneDnnConvolution::workspaceFloats() const
{
    // input, output (forward) or output gradient (backward), input gradient, the
    // backward-weights primitive's own input and output-gradient layouts, its
    // weight gradient, and the largest scratchpad.
    const int64_t scratchpad = std::max({floatsFor(forwardDesc_.scratchpad_desc()),
                                         floatsFor(backwardDataDesc_.scratchpad_desc()),
                                         floatsFor(backwardWeightsDesc_.scratchpad_desc())});
    return floatsFor(forwardDesc_.src_desc())
           + std::max(floatsFor(forwardDesc_.dst_desc()),
                      floatsFor(backwardDataDesc_.diff_dst_desc()))
           + floatsFor(backwardDataDesc_.diff_src_desc())
           + floatsFor(backwardWeightsDesc_.src_desc())
           + floatsFor(backwardWeightsDesc_.diff_dst_desc())
           + floatsFor(backwardWeightsDesc_.diff_weights_desc()) + scratchpad;
}

void OneDnnConvolution::reorderWeights(const float* weight, float* blockedWeights) const
{
    useOneOpenMpThread();
    dnnl::stream stream(engine_);
    convert(engine_, stream, userWeights_, weight, forwardDesc_.weights_desc(), blockedWeights);
    convert(engine_, stream, userWeights_, weight, backwardDataDesc_.weights_desc(),
            blockedWeights + forwardWeightsFloats_);
    stream.wait();
}

void OneDnnConvolution::forward(const float* input, const float* blockedWeights, const float* bias,
                                float* output, float* workspace) const
{
    useOneOpenMpThread();
    dnnl::stream stream(engine_);
    Carver carve(workspace);
    const memory::desc& inputDesc = forwardDesc_.src_desc();
    const memory::desc& outputDesc = forwardDesc_.dst_desc();
    // A primitive that works in LPM's own layout reads and writes the caller's buffers.
    const float* in = input;
    if (inputDesc != userInput_) {
        float* blocked = carve.take(inputDesc);
        convert(engine_, stream, userInput_, input, inputDesc, blocked);
        in = blocked;
    }
    float* out = outputDesc != userOutput_ ? carve.take(outputDesc) : output;
    float* scratchpad = carve.take(memory::desc()); // the rest of the workspace
    std::unordered_map<int, memory> arguments{
        {DNNL_ARG_SRC, memory(inputDesc, engine_, const_cast<float*>(in))},
        {DNNL_ARG_WEIGHTS,
         memory(forwardDesc_.weights_desc(), engine_, const_cast<float*>(blockedWeights))},
        {DNNL_ARG_DST, memory(outputDesc, engine_, out)},
        {DNNL_ARG_SCRATCHPAD, memory(forwardDesc_.scratchpad_desc(), engine_, scratchpad)}};
    if (hasBias_)
        arguments.emplace(DNNL_ARG_BIAS, memory(userBias_, engine_, const_cast<float*>(bias)));
    forward_.execute(stream, arguments);
    if (out != output)
        convert(engine_, stream, outputDesc, out, userOutput_, output);
    stream.wait();
}

void OneDnnConvolution::backward(const float* input, const float* gradOutput,
                                 const float* blockedWeights, float* gradInput, float* gradWeight,
                                 float* gradBias, float* workspace) const
{
    useOneOpenMpThread();
    dnnl::stream stream(engine_);
    Carver carve(workspace);
    // gradOutput in `desc`'s layout: the caller's buffer when it already is,
    // else reordered once and shared by both primitives when they agree.
    const float* gradOutputForData = gradOutput;
    const memory::desc& dataGradOutputDesc = backwardDataDesc_.diff_dst_desc();
    if (gradInput != nullptr && dataGradOutputDesc != userOutput_) {
        float* blocked = carve.take(dataGradOutputDesc);
        convert(engine_, stream, userOutput_, gradOutput, dataGradOutputDesc, blocked);
        gradOutputForData = blocked;
    }
    const memory::desc& weightsGradOutputDesc = backwardWeightsDesc_.diff_dst_desc();
    const float* gradOutputForWeights = gradOutput;
    if (weightsGradOutputDesc != userOutput_) {
        if (gradInput != nullptr && weightsGradOutputDesc == dataGradOutputDesc) {
            gradOutputForWeights = gradOutputForData;
        } else {
            float* blocked = carve.take(weightsGradOutputDesc);
            convert(engine_, stream, userOutput_, gradOutput, weightsGradOutputDesc, blocked);
            gradOutputForWeights = blocked;
        }
    }
    const memory::desc& weightsInputDesc = backwardWeightsDesc_.src_desc();
    const float* inputForWeights = input;
    if (weightsInputDesc != userInput_) {
        float* blocked = carve.take(weightsInputDesc);
        convert(engine_, stream, userInput_, input, weightsInputDesc, blocked);
        inputForWeights = blocked;
    }
    const memory::desc& gradWeightDesc = backwardWeightsDesc_.diff_weights_desc();
    float* blockedGradWeight =
        gradWeightDesc != userWeights_ ? carve.take(gradWeightDesc) : gradWeight;
    const memory::desc& gradInputDesc = backwardDataDesc_.diff_src_desc();
    float* blockedGradInput = nullptr;
    if (gradInput != nullptr)
        blockedGradInput = gradInputDesc != userInput_ ? carve.take(gradInputDesc) : gradInput;
    float* scratchpad = carve.take(memory::desc());

    std::unordered_map<int, memory> weightArguments{
        {DNNL_ARG_SRC, memory(weightsInputDesc, engine_, const_cast<float*>(inputForWeights))},
        {DNNL_ARG_DIFF_DST,
         memory(weightsGradOutputDesc, engine_, const_cast<float*>(gradOutputForWeights))},
        {DNNL_ARG_DIFF_WEIGHTS, memory(gradWeightDesc, engine_, blockedGradWeight)},
        {DNNL_ARG_SCRATCHPAD, memory(backwardWeightsDesc_.scratchpad_desc(), engine_, scratchpad)}};
    if (hasBias_)
        weightArguments.emplace(DNNL_ARG_DIFF_BIAS, memory(userBias_, engine_, gradBias));
    backwardWeights_.execute(stream, weightArguments);
    if (blockedGradWeight != gradWeight)
        convert(engine_, stream, gradWeightDesc, blockedGradWeight, userWeights_, gradWeight);

    if (gradInput != nullptr) {
        backwardData_.execute(
            stream,
            {{DNNL_ARG_DIFF_DST,
              memory(dataGradOutputDesc, engine_, const_cast<float*>(gradOutputForData))},
             {DNNL_ARG_WEIGHTS, memory(backwardDataDesc_.weights_desc(), engine_,
                                       const_cast<float*>(blockedWeights) + forwardWeightsFloats_)},
             {DNNL_ARG_DIFF_SRC, memory(gradInputDesc, engine_, blockedGradInput)},
             {DNNL_ARG_SCRATCHPAD,
              memory(backwardDataDesc_.scratchpad_desc(), engine_, scratchpad)}});
        if (blockedGradInput != gradInput)
            convert(engine_, stream, gradInputDesc, blockedGradInput, userInput_, gradInput);
    }
    stream.wait();
}

std::string OneDnnConvolution::forwardImplementation() const
{
    return forwardDesc_.impl_info_str();
}

OneDnnConvolutions::OneDnnConvolutions() : engine_(dnnl::engine::kind::cpu, 0) {}

const OneDnnConvolution& OneDnnConvolutions::get(const Conv2dGeometry& g, bool hasBias)
{
    const Key key{g.batch,        g.inChannels,  g.inHeight, g.inWidth, g.outChannels,
                  g.kernelHeight, g.kernelWidth, g.stride,   g.padding, hasBias};
    auto found = byShape_.find(key);
    if (found == byShape_.end())
        found =
            byShape_.emplace(key, std::make_unique<OneDnnConvolution>(engine_, g, hasBias)).first;
    return *found->second;
}

std::string cpuConvolutionKernels()
{
    const dnnl_version_t* version = dnnl_version();
    std::string isa;
    switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41:
        isa = "sse41";
        break;
    case dnnl::cpu_isa::avx:
        isa = "avx";
        break;
    case dnnl::cpu_isa::avx2:
        isa = "avx2";
        break;
    case dnnl::cpu_isa::avx2_vnni:
        isa = "avx2_vnni";
        break;
    case dnnl::cpu_isa::avx512_core:
        isa = "avx512_core";
        break;
    case dnnl::cpu_isa::avx512_core_vnni:
        isa = "avx512_core_vnni";
        break;
    case dnnl::cpu_isa::avx512_core_bf16:
        isa = "avx512_core_bf16";
        break;
    case dnnl::cpu_isa::avx512_core_amx:
        isa = "avx512_core_amx";
        break;
    default:
        isa = "no jit kernels";
        break;
    }
    return "oneDNN " + std::to_string(version->major) + "." + std::to_string(version->minor) + "."
           + std::to_string(version->patch) + " (" + isa + ")";
}

} // namespace lpm
