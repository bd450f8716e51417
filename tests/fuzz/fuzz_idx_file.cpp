// IDX files (Fashion-MNIST's images and labels, plain or gzip): the input is
// read as an image file and as a label file, under a plain and a .gz name
// (zlib reads plain bytes through, and gunzips gzip ones).
#include "data/idx_reader.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    for (const char* suffix : {"-images-idx3-ubyte", "-images-idx3-ubyte.gz"}) {
        const std::filesystem::path file = lpm::fuzz::asFile(data, size, suffix);
        lpm::fuzz::loadOrTypedError([&] { lpm::readIdxImages(file); });
        lpm::fuzz::loadOrTypedError([&] { lpm::readIdxLabels(file); });
        std::filesystem::remove(file);
    }
    return 0;
}
