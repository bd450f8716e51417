// Text data sets (`--dataset text:PATH`): loadTextDataset on any bytes, plain
// or gzip, then a training batch and the last validation window, as a run
// would draw them. The input's first byte picks the context (1..64 tokens);
// the rest is the file.
#include "data/batcher.h"
#include "data/text_dataset.h"
#include "fuzz_support.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    const int64_t tokens = 1 + data[0] % 64;
    const std::filesystem::path file = lpm::fuzz::asFile(data + 1, size - 1, ".txt");
    lpm::fuzz::loadOrTypedError([&] {
        const lpm::DatasetSplits splits = lpm::loadTextDataset(file, tokens, /*seed=*/size);
        const int64_t batch = std::min<int64_t>(4, splits.train.count);
        const lpm::Batcher batcher(splits.train, batch, /*seed=*/1);
        const lpm::Batch drawn = batcher.batchAt(int64_t(size));
        if (drawn.labels.size() != size_t(batch * tokens))
            std::abort(); // a window of the wrong length: a finding
        lpm::sliceBatch(splits.test, splits.test.count - 1, 1);
    });
    std::filesystem::remove(file);
    return 0;
}
