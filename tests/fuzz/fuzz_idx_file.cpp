// IDX files (Fashion-MNIST's images and labels, plain or gzip): the input is
// read as an image file and as a label file (one reader serves both kinds:
// zlib passes plain bytes through and gunzips gzip ones, whatever the name).
#include "data/idx_reader.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::filesystem::path file = lpm::fuzz::asFile(data, size, "-idx-ubyte");
    lpm::fuzz::loadOrTypedError([&] { lpm::readIdxImages(file); });
    lpm::fuzz::loadOrTypedError([&] { lpm::readIdxLabels(file); });
    std::filesystem::remove(file);
    return 0;
}
