// A trainable Model of an imported ONNX graph. A unit of one operation that
// a zoo layer computes exactly becomes that layer (Conv → Conv2d, Gemm →
// Linear, BatchNormalization → BatchNorm2d, Relu, MaxPool, AveragePool,
// GlobalAveragePool, Flatten), which every backend runs; any other unit (a
// residual, inception or attention block, or an op without a layer) runs
// its nodes with the graph ops (graph_unit_layer.h), on the CPU. Weights
// start from the file's values (the seed's initialisation where the file
// has none). The graph's output is the logits of a classifier: (batch, classes).
//
// Not yet: token-id inputs, weights shared between units, and the ops
// outside graph_ops.h's set; a model holding one is refused naming the unit,
// the node and the reason.
#pragma once

#include <string>

#include "graph/graph_units.h"
#include "nn/model.h"

namespace lpm {

// Throws InvalidArgument naming the file, the unit and the reason when a unit
// cannot be trained yet, or when the graph's input or output does not fit a
// classifier (one input of known sample shape, an output (batch, classes)).
Model modelFromImported(const ImportedModel& imported);

// Makes buildModel (nn/model_zoo.h) build ONNX files by path (a name ending
// in ".onnx"), so that training, profiling and the pipeline's stage copies
// take them wherever they take a zoo name. Call once at start-up.
void addOnnxModelSource();

} // namespace lpm
