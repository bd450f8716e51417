// A trainable Model of an imported ONNX graph: each unit of one operation
// becomes the nn/ layer that computes it (Conv → Conv2d, Gemm → Linear,
// BatchNormalization → BatchNorm2d, Relu, MaxPool, AveragePool,
// GlobalAveragePool, Flatten), starting from the file's weights (the seed's
// initialisation where the file has none). The graph's output is the logits
// of a classifier: (batch, classes).
//
// Not yet: units that merge several operations (residual, inception and
// attention blocks), and the other ops of the import issue's list; a model
// holding one is refused naming the unit, its operations and what trains.
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
