// Design files (`*.lpm.json`, the studio's File ▸ Open): designFromJson.
#include "fuzz_support.h"
#include "train/design.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    lpm::fuzz::loadOrTypedError([&] { lpm::designFromJson(text, "fuzz.lpm.json"); });
    return 0;
}
