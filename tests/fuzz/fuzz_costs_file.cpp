// Cost files (`lpm profile --out`, `--costs`): costsFromJson.
#include "fuzz_support.h"
#include "plan/plan_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    lpm::fuzz::loadOrTypedError([&] { lpm::costsFromJson(text, "fuzz.costs.json"); });
    return 0;
}
