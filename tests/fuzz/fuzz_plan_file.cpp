// Plan files (`lpm plan --out`, `lpm simulate --plan`): planFromJson.
#include "fuzz_support.h"
#include "plan/plan_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    lpm::fuzz::loadOrTypedError([&] { lpm::planFromJson(text, "fuzz.plan.json"); });
    return 0;
}
