// Graphs as the ONNX reader leaves them, built from the input's bytes
// without protobuf or shape inference, so that the merging into units and
// the costs (graph_units.h, op_costs.h) run at thousands of graphs a second:
// cycles, undefined reads, two writers, dead ends, shape-only chains, long
// skips and absurd dimensions. A graph that merges must give units whose
// nodes are every node once, and costs the planner accepts; a model that
// builds from it (onnx_model_builder.h) and is small enough then takes one
// training step on the CPU, which may refuse a shape only with the
// project's error.
#include <set>

#include "backend/cpu/cpu_backend.h"
#include "fuzz_support.h"
#include "graph/model_source.h"
#include "graph/onnx_model_builder.h"
#include "nn/parameter_store.h"
#include "nn/unit_passes.h"

namespace {

// Reads the input a byte at a time; zeros once it runs out.
class Bytes {
public:
    Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
    uint8_t next() { return at_ < size_ ? data_[at_++] : 0; }
    bool done() const { return at_ >= size_; }

private:
    const uint8_t* data_;
    size_t size_;
    size_t at_ = 0;
};

const char* const kOps[] = {"Conv",     "Relu",      "Add",     "MatMul",     "Gemm",    "MaxPool",
                            "Flatten",  "Shape",     "Reshape", "Concat",     "Softmax", "BatchNormalization",
                            "Identity", "Transpose", "Mystery", "Size",       "Mul",     "Div",
                            "Split",    "Clip",      "Pow",     "ReduceMean", "Sigmoid", "GlobalAveragePool",
                            "Gather",   "Slice",     "Equal",   "Where",      "Cast",    "LayerNormalization"};

// One training step of a model built from the graph, when it is small: a
// forward at batch 2 and a backward from a gradient of ones. (Sizes are
// checked on the graph, where their counts cannot overflow.)
void trainOnce(const lpm::ImportedModel& imported)
{
    const lpm::Graph& graph = imported.graph;
    int64_t parameters = 0;
    for (const auto& [name, tensor] : graph.tensors) {
        // Weights small; every other tensor of a shape the forward is held to, small per sample.
        const int64_t elements = tensor.isWeight ? lpm::staticElements(tensor) : lpm::elementsPerSample(tensor);
        if (elements < 0 || (tensor.isWeight && (parameters += elements) > 100000) || elements > 32768)
            return;
    }
    for (const lpm::GraphUnit& unit : imported.units) {
        const lpm::GraphTensor* output = graph.find(unit.output);
        const int64_t elements = output ? lpm::elementsPerSample(*output) : -1;
        if (elements < 0 || elements > 32768)
            return;
    }
    lpm::Model model = lpm::modelFromImported(imported);
    if (model.inputShape(2).elementCount() > 4096)
        return;
    lpm::ParameterStore store(model);
    store.initialize(1);
    store.zeroGradients();
    lpm::CpuBackend backend(1);
    lpm::Tensor input(model.inputShape(2));
    input.fill(0.5f);
    std::vector<std::unique_ptr<lpm::LayerContext>> contexts;
    lpm::Tensor output =
        lpm::forwardUnits(backend, model, 0, model.unitCount() - 1, std::move(input), 1, 0, 0, contexts);
    output.fill(1.0f);
    lpm::backwardUnits(backend, model, 0, model.unitCount() - 1, std::move(output), contexts);
}

lpm::GraphTensor tensorFrom(Bytes& bytes, const std::string& name, bool batched)
{
    lpm::GraphTensor tensor;
    tensor.name = name;
    tensor.rankKnown = bytes.next() % 8 != 0;
    const int rank = bytes.next() % 5;
    for (int axis = 0; axis < rank; ++axis) {
        const uint8_t kind = bytes.next();
        // Mostly small dimensions; now and then a huge one, to reach the overflow checks.
        tensor.dims.push_back(kind == 255 ? int64_t(1) << 40 : kind == 254 ? -2 : int64_t(kind % 17));
    }
    if (batched && !tensor.dims.empty())
        tensor.dims.front() = lpm::GraphTensor::kBatchDimension;
    tensor.elementBytes = 1 << (bytes.next() % 4);
    tensor.isFloat = bytes.next() % 4 != 0;
    return tensor;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    Bytes bytes(data, size);
    lpm::Graph graph;
    graph.source = "fuzz.onnx";
    graph.opset = 13;
    const int inputs = 1 + bytes.next() % 2;
    const int weights = bytes.next() % 4;
    std::vector<std::string> names;
    for (int i = 0; i < inputs; ++i) {
        names.push_back("x" + std::to_string(i));
        graph.dataInputs.push_back(names.back());
        graph.tensors[names.back()] = tensorFrom(bytes, names.back(), true);
    }
    for (int i = 0; i < weights; ++i) {
        const std::string name = "w" + std::to_string(i);
        lpm::GraphTensor tensor = tensorFrom(bytes, name, false);
        tensor.isWeight = true;
        graph.tensors[name] = tensor;
        names.push_back(name);
    }
    const int nodes = 1 + bytes.next() % 48;
    for (int index = 0; index < nodes && !bytes.done(); ++index) {
        lpm::GraphNode node;
        node.name = "n" + std::to_string(index);
        node.op = kOps[bytes.next() % std::size(kOps)];
        const int reads = 1 + bytes.next() % 3;
        for (int r = 0; r < reads; ++r) {
            const uint8_t pick = bytes.next();
            // Mostly a tensor defined so far; sometimes one defined later (a
            // cycle, or a file out of order), sometimes nothing (undefined).
            if (pick % 16 == 15)
                node.inputs.push_back("t" + std::to_string(pick % nodes));
            else if (pick % 16 == 14)
                node.inputs.push_back("undefined");
            else
                node.inputs.push_back(names[size_t(pick) % names.size()]);
        }
        node.outputs = {"t" + std::to_string(index)};
        if (bytes.next() % 8 == 0)
            node.intAttributes["kernel_shape"] = {bytes.next() % 5, bytes.next() % 5};
        graph.tensors[node.outputs[0]] = tensorFrom(bytes, node.outputs[0], bytes.next() % 4 != 0);
        names.push_back(node.outputs[0]);
        graph.nodes.push_back(node);
    }
    graph.outputs = {names.back()};

    lpm::fuzz::loadOrTypedError([&] {
        const lpm::ImportedModel model = lpm::unitsFromGraph(graph);
        std::multiset<int> seen;
        for (const lpm::GraphUnit& unit : model.units)
            seen.insert(unit.nodes.begin(), unit.nodes.end());
        for (int node = 0; node < int(model.graph.nodes.size()); ++node)
            if (seen.count(node) != 1) {
                std::fprintf(stderr, "fuzz: node %d is in %zu units\n", node, seen.count(node));
                std::abort();
            }
        try {
            lpm::validateModelCosts(lpm::importedModelCosts(model, 1));
        } catch (const lpm::Error& error) {
            std::fprintf(stderr, "fuzz: merged units' costs are refused: %s\n", error.what());
            std::abort();
        }
        trainOnce(model);
    });
    return 0;
}
