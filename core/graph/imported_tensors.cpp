#include "graph/onnx_writer.h"

#include "tensor/error.h"

namespace lpm {

namespace {

std::vector<int64_t> dimsOfShape(const Shape& shape)
{
    std::vector<int64_t> dims;
    for (int axis = 0; axis < shape.rank(); ++axis)
        dims.push_back(shape[axis]);
    return dims;
}

} // namespace

std::map<std::string, ExportedTensor> importedTensors(const ParameterStore& store)
{
    store.copyToHost();
    std::map<std::string, ExportedTensor> tensors;
    auto add = [&](const std::string& name, const Shape& shape, const float* values) {
        ExportedTensor& tensor = tensors[name];
        tensor.dims = dimsOfShape(shape);
        tensor.values.assign(values, values + shape.elementCount());
    };
    int64_t offset = 0; // slots lie one after another in the flat buffers, in order
    for (const ParameterSlot* slot : store.parameterSlots()) {
        if (slot->importedFrom.empty())
            throw InvalidArgument("parameter " + slot->name
                                  + " has no tensor of its own in the ONNX file (a Gemm's B stored untransposed), so "
                                    "it cannot be exported yet");
        add(slot->importedFrom, slot->shape, store.hostValues() + offset);
        offset += slot->shape.elementCount();
    }
    offset = 0;
    for (const BufferSlot* slot : store.bufferSlots()) {
        if (!slot->importedFrom.empty())
            add(slot->importedFrom, slot->shape, store.hostBuffers() + offset);
        offset += slot->shape.elementCount();
    }
    return tensors;
}

} // namespace lpm
