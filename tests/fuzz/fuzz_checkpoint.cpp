// Checkpoints (`--load-checkpoint`, the studio's resume): Trainer::loadCheckpoint
// on a lenet5 trainer made once (a checkpoint of another model, batch or
// optimizer is refused with the project's error).
#include "data/synthetic_dataset.h"
#include "fuzz_support.h"
#include "train/trainer.h"

#include <memory>

namespace {
lpm::Trainer& trainer()
{
    static const lpm::DatasetSplits data = [] {
        lpm::SyntheticOptions options;
        options.trainCount = 64;
        options.testCount = 16;
        return lpm::makeSyntheticDataset(options);
    }();
    static const std::unique_ptr<lpm::Trainer> instance = [] {
        lpm::TrainOptions options;
        options.model = "lenet5";
        options.batch = 16;
        options.steps = 1;
        options.evaluate = false;
        return std::make_unique<lpm::Trainer>(options, data);
    }();
    return *instance;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::filesystem::path file = lpm::fuzz::asFile(data, size, ".ckpt");
    lpm::fuzz::loadOrTypedError([&] { trainer().loadCheckpoint(file); });
    std::filesystem::remove(file);
    return 0;
}
