// OneDnnConvolution: oneDNN's convolution primitives for one shape, with the
// reorders between LPM's layouts and theirs. See onednn_convolution.h.
#include "backend/cpu/onednn_convolution.h"

#include <omp.h>

#include <algorithm>
#include <unordered_map>

namespace lpm {

namespace {

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

// Carves consecutive aligned buffers out of one member's workspace; with no
// workspace (nullptr) it only counts what it would carve.
class Carver {
public:
    explicit Carver(float* base) : base_(base) {}
    float* take(const memory::desc& desc)
    {
        float* buffer = base_ != nullptr ? base_ + used_ : nullptr;
        used_ += floatsFor(desc);
        return buffer;
    }
    // The target of `conversion` when it is needed, else `source` itself.
    const float* targetOf(const LayoutConversion& conversion, const float* source)
    {
        return conversion.needed() ? take(conversion.target()) : source;
    }
    float* rest() const { return base_ != nullptr ? base_ + used_ : nullptr; }
    int64_t used() const { return used_; }

private:
    float* base_;
    int64_t used_ = 0;
};

} // namespace

LayoutConversion::LayoutConversion(const dnnl::engine& engine, const memory::desc& from, const memory::desc& to)
    : engine_(engine), from_(from), to_(to), needed_(from != to)
{
    if (!needed_)
        return;
    desc_ = dnnl::reorder::primitive_desc(engine_, from_, engine_, to_, userScratchpad());
    reorder_ = dnnl::reorder(desc_);
}

int64_t LayoutConversion::scratchpadFloats() const
{
    return needed_ ? floatsFor(desc_.scratchpad_desc()) : 0;
}

void LayoutConversion::run(dnnl::stream& stream, const float* from, float* to, float* scratchpad) const
{
    reorder_.execute(stream, {{DNNL_ARG_FROM, memory(from_, engine_, const_cast<float*>(from))},
                              {DNNL_ARG_TO, memory(to_, engine_, to)},
                              {DNNL_ARG_SCRATCHPAD, memory(desc_.scratchpad_desc(), engine_, scratchpad)}});
}

OneDnnConvolution::OneDnnConvolution(const dnnl::engine& engine, const Conv2dGeometry& g, bool hasBias)
    : engine_(engine), hasBias_(hasBias)
{
    useOneOpenMpThread();
    const memory::dims input{g.batch, g.inChannels, g.inHeight, g.inWidth};
    const memory::dims output{g.batch, g.outChannels, g.outHeight(), g.outWidth()};
    const memory::dims weights{g.outChannels, g.inChannels, g.kernelHeight, g.kernelWidth};
    const memory::dims strides{g.stride, g.stride}, padding{g.padding, g.padding};
    const memory::desc userInput(input, kF32, Tag::nchw), userOutput(output, kF32, Tag::nchw),
        userWeights(weights, kF32, Tag::oihw);
    userBias_ = memory::desc({g.outChannels}, kF32, Tag::x);
    const memory::desc anyInput(input, kF32, Tag::any), anyOutput(output, kF32, Tag::any),
        anyWeights(weights, kF32, Tag::any);
    const auto attribute = userScratchpad();
    const auto direct = dnnl::algorithm::convolution_direct;

    using Forward = dnnl::convolution_forward;
    const auto forward = hasBias ? Forward::desc(dnnl::prop_kind::forward_training, direct, anyInput, anyWeights,
                                                 userBias_, anyOutput, strides, padding, padding)
                                 : Forward::desc(dnnl::prop_kind::forward_training, direct, anyInput, anyWeights,
                                                 anyOutput, strides, padding, padding);
    forwardDesc_ = Forward::primitive_desc(forward, attribute, engine_);

    using BackwardData = dnnl::convolution_backward_data;
    backwardDataDesc_ = BackwardData::primitive_desc(
        BackwardData::desc(direct, anyInput, anyWeights, anyOutput, strides, padding, padding), attribute, engine_,
        forwardDesc_);

    using BackwardWeights = dnnl::convolution_backward_weights;
    const auto backwardWeights =
        hasBias ? BackwardWeights::desc(direct, anyInput, anyWeights, userBias_, anyOutput, strides, padding, padding)
                : BackwardWeights::desc(direct, anyInput, anyWeights, anyOutput, strides, padding, padding);
    backwardWeightsDesc_ = BackwardWeights::primitive_desc(backwardWeights, attribute, engine_, forwardDesc_);

    forward_ = Forward(forwardDesc_);
    backwardData_ = BackwardData(backwardDataDesc_);
    backwardWeights_ = BackwardWeights(backwardWeightsDesc_);

    weightsToForward_ = LayoutConversion(engine_, userWeights, forwardDesc_.weights_desc());
    weightsToBackwardData_ = LayoutConversion(engine_, userWeights, backwardDataDesc_.weights_desc());
    inputToForward_ = LayoutConversion(engine_, userInput, forwardDesc_.src_desc());
    forwardToOutput_ = LayoutConversion(engine_, forwardDesc_.dst_desc(), userOutput);
    gradOutputToData_ = LayoutConversion(engine_, userOutput, backwardDataDesc_.diff_dst_desc());
    dataToGradInput_ = LayoutConversion(engine_, backwardDataDesc_.diff_src_desc(), userInput);
    inputToWeights_ = LayoutConversion(engine_, userInput, backwardWeightsDesc_.src_desc());
    gradOutputToWeights_ = LayoutConversion(engine_, userOutput, backwardWeightsDesc_.diff_dst_desc());
    weightsGradientToUser_ = LayoutConversion(engine_, backwardWeightsDesc_.diff_weights_desc(), userWeights);

    // The workspace: the buffers forward() or backward() carve (the larger
    // set), then the largest scratchpad of any primitive or reorder.
    Carver forwardBuffers(nullptr);
    forwardBuffers.targetOf(inputToForward_, nullptr);
    forwardBuffers.take(forwardDesc_.dst_desc());
    Carver backwardBuffers(nullptr);
    backwardBuffers.targetOf(gradOutputToData_, nullptr);
    backwardBuffers.targetOf(gradOutputToWeights_, nullptr);
    backwardBuffers.targetOf(inputToWeights_, nullptr);
    backwardBuffers.take(backwardWeightsDesc_.diff_weights_desc());
    backwardBuffers.take(backwardDataDesc_.diff_src_desc());
    int64_t scratchpad =
        std::max({floatsFor(forwardDesc_.scratchpad_desc()), floatsFor(backwardDataDesc_.scratchpad_desc()),
                  floatsFor(backwardWeightsDesc_.scratchpad_desc())});
    for (const LayoutConversion* conversion :
         {&weightsToForward_, &weightsToBackwardData_, &inputToForward_, &forwardToOutput_, &gradOutputToData_,
          &dataToGradInput_, &inputToWeights_, &gradOutputToWeights_, &weightsGradientToUser_})
        scratchpad = std::max(scratchpad, conversion->scratchpadFloats());
    workspaceFloats_ = std::max(forwardBuffers.used(), backwardBuffers.used()) + scratchpad;
}

int64_t OneDnnConvolution::blockedWeightsFloats() const
{
    return std::max(floatsFor(forwardDesc_.weights_desc()), floatsFor(backwardDataDesc_.weights_desc()));
}

void OneDnnConvolution::reorderWeights(WeightsFor use, const float* weight, float* blockedWeights,
                                       float* workspace) const
{
    if (use == WeightsFor::Nothing)
        return;
    useOneOpenMpThread();
    dnnl::stream stream(engine_);
    const LayoutConversion& conversion = use == WeightsFor::Forward ? weightsToForward_ : weightsToBackwardData_;
    if (conversion.needed())
        conversion.run(stream, weight, blockedWeights, workspace);
    else // the primitive works on LPM's own layout
        std::copy_n(weight, conversion.target().get_size() / sizeof(float), blockedWeights);
    stream.wait();
}

void OneDnnConvolution::forward(const float* input, const float* blockedWeights, const float* bias, float* output,
                                float* workspace) const
{
    useOneOpenMpThread();
    dnnl::stream stream(engine_);
    Carver carve(workspace);
    // A primitive that works in LPM's own layout reads and writes the caller's buffers.
    const float* in = carve.targetOf(inputToForward_, input);
    float* out = forwardToOutput_.needed() ? carve.take(forwardDesc_.dst_desc()) : output;
    float* scratchpad = carve.rest();
    if (inputToForward_.needed())
        inputToForward_.run(stream, input, const_cast<float*>(in), scratchpad);
    std::unordered_map<int, memory> arguments{
        {DNNL_ARG_SRC, memory(forwardDesc_.src_desc(), engine_, const_cast<float*>(in))},
        {DNNL_ARG_WEIGHTS, memory(forwardDesc_.weights_desc(), engine_, const_cast<float*>(blockedWeights))},
        {DNNL_ARG_DST, memory(forwardDesc_.dst_desc(), engine_, out)},
        {DNNL_ARG_SCRATCHPAD, memory(forwardDesc_.scratchpad_desc(), engine_, scratchpad)}};
    if (hasBias_)
        arguments.emplace(DNNL_ARG_BIAS, memory(userBias_, engine_, const_cast<float*>(bias)));
    forward_.execute(stream, arguments);
    if (forwardToOutput_.needed())
        forwardToOutput_.run(stream, out, output, scratchpad);
    stream.wait();
}

void OneDnnConvolution::backward(const float* input, const float* gradOutput, const float* blockedWeights,
                                 float* gradInput, float* gradWeight, float* gradBias, float* workspace) const
{
    useOneOpenMpThread();
    dnnl::stream stream(engine_);
    Carver carve(workspace);
    // gradOutput in each primitive's layout, reordered once when both want the same one.
    const bool dataRuns = gradInput != nullptr;
    const bool weightsRun = gradWeight != nullptr;
    const float* gradOutputForData = dataRuns ? carve.targetOf(gradOutputToData_, gradOutput) : nullptr;
    const bool shared = dataRuns && weightsRun && gradOutputToData_.needed()
                        && gradOutputToWeights_.target() == gradOutputToData_.target();
    const float* gradOutputForWeights = !weightsRun ? nullptr
                                        : shared    ? gradOutputForData
                                                    : carve.targetOf(gradOutputToWeights_, gradOutput);
    const float* inputForWeights = weightsRun ? carve.targetOf(inputToWeights_, input) : nullptr;
    float* blockedGradWeight = weightsRun && weightsGradientToUser_.needed()
                                   ? carve.take(backwardWeightsDesc_.diff_weights_desc())
                                   : gradWeight;
    float* blockedGradInput = nullptr;
    if (dataRuns)
        blockedGradInput = dataToGradInput_.needed() ? carve.take(backwardDataDesc_.diff_src_desc()) : gradInput;
    float* scratchpad = carve.rest();

    if (dataRuns && gradOutputToData_.needed())
        gradOutputToData_.run(stream, gradOutput, const_cast<float*>(gradOutputForData), scratchpad);
    if (weightsRun) {
        if (!shared && gradOutputToWeights_.needed())
            gradOutputToWeights_.run(stream, gradOutput, const_cast<float*>(gradOutputForWeights), scratchpad);
        if (inputToWeights_.needed())
            inputToWeights_.run(stream, input, const_cast<float*>(inputForWeights), scratchpad);
        std::unordered_map<int, memory> weightArguments{
            {DNNL_ARG_SRC, memory(backwardWeightsDesc_.src_desc(), engine_, const_cast<float*>(inputForWeights))},
            {DNNL_ARG_DIFF_DST,
             memory(backwardWeightsDesc_.diff_dst_desc(), engine_, const_cast<float*>(gradOutputForWeights))},
            {DNNL_ARG_DIFF_WEIGHTS, memory(backwardWeightsDesc_.diff_weights_desc(), engine_, blockedGradWeight)},
            {DNNL_ARG_SCRATCHPAD, memory(backwardWeightsDesc_.scratchpad_desc(), engine_, scratchpad)}};
        if (hasBias_)
            weightArguments.emplace(DNNL_ARG_DIFF_BIAS, memory(userBias_, engine_, gradBias));
        backwardWeights_.execute(stream, weightArguments);
        if (weightsGradientToUser_.needed())
            weightsGradientToUser_.run(stream, blockedGradWeight, gradWeight, scratchpad);
    }

    if (dataRuns) {
        backwardData_.execute(
            stream,
            {{DNNL_ARG_DIFF_DST,
              memory(backwardDataDesc_.diff_dst_desc(), engine_, const_cast<float*>(gradOutputForData))},
             {DNNL_ARG_WEIGHTS, memory(backwardDataDesc_.weights_desc(), engine_, const_cast<float*>(blockedWeights))},
             {DNNL_ARG_DIFF_SRC, memory(backwardDataDesc_.diff_src_desc(), engine_, blockedGradInput)},
             {DNNL_ARG_SCRATCHPAD, memory(backwardDataDesc_.scratchpad_desc(), engine_, scratchpad)}});
        if (dataToGradInput_.needed())
            dataToGradInput_.run(stream, blockedGradInput, gradInput, scratchpad);
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
        found = byShape_.emplace(key, std::make_unique<OneDnnConvolution>(engine_, g, hasBias)).first;
    return *found->second;
}

std::string cpuConvolutionKernels()
{
    static const std::pair<dnnl::cpu_isa, const char*> kNames[] = {
        {dnnl::cpu_isa::sse41, "sse41"},
        {dnnl::cpu_isa::avx, "avx"},
        {dnnl::cpu_isa::avx2, "avx2"},
        {dnnl::cpu_isa::avx2_vnni, "avx2_vnni"},
        {dnnl::cpu_isa::avx512_core, "avx512_core"},
        {dnnl::cpu_isa::avx512_core_vnni, "avx512_core_vnni"},
        {dnnl::cpu_isa::avx512_core_bf16, "avx512_core_bf16"},
        {dnnl::cpu_isa::avx512_core_amx, "avx512_core_amx"}};
    const dnnl::cpu_isa running = dnnl::get_effective_cpu_isa();
    std::string isa = "no jit kernels";
    for (const auto& [value, name] : kNames)
        if (value == running)
            isa = name;
    const dnnl_version_t* version = dnnl_version();
    return "oneDNN " + std::to_string(version->major) + "." + std::to_string(version->minor) + "."
           + std::to_string(version->patch) + " (" + isa + ")";
}

} // namespace lpm
