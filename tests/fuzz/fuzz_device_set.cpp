// Device-set strings (`--devices cpu:2,catalog:H100x4,cuda:0x2`): parseDeviceSet.
#include "devices/device_set.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string spec(reinterpret_cast<const char*>(data), size);
    lpm::fuzz::loadOrTypedError([&] { lpm::parseDeviceSet(spec); });
    return 0;
}
