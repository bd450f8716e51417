// ONNX files (lpm import, --model PATH.onnx): the input is read as a model
// file, merged into units and costed. A model that imports must give costs
// the planner accepts (finite, non-negative); that it does not is a finding.
#include "fuzz_support.h"
#include "graph/model_source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::filesystem::path file = lpm::fuzz::asFile(data, size, ".onnx");
    lpm::fuzz::loadOrTypedError([&] {
        const lpm::ImportedModel model = lpm::importOnnxModel(file.string());
        lpm::outlineImportedModel(model);
        try {
            lpm::validateModelCosts(lpm::importedModelCosts(model, 4));
        } catch (const lpm::Error& error) {
            std::fprintf(stderr, "fuzz: an imported model's costs are refused: %s\n", error.what());
            std::abort();
        }
    });
    std::filesystem::remove(file);
    return 0;
}
