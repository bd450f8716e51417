#include "devices/device_set.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "devices/gpu_devices.h"
#include "tensor/error.h"

namespace lpm {

namespace {

// Far more stages than anyone plans; stops a typo like cpu:1000000000.
constexpr int64_t kMaxStages = 4096;

[[noreturn]] void fail(const std::string& spec, const std::string& item, const std::string& expected)
{
    throw InvalidArgument("device set '" + spec + "': '" + item + "' " + expected);
}

// Parses a whole item as a non-negative decimal count; -1 when it is not one.
int64_t parseCount(const std::string& text)
{
    if (text.empty() || text.size() > 9
        || !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
        return -1;
    return std::stoll(text);
}

// Splits "NAMExN" into name and count (1 when there is no "xN").
std::pair<std::string, int64_t> splitRepeat(const std::string& item)
{
    const size_t x = item.find_last_of("xX");
    if (x != std::string::npos && x > 0 && x + 1 < item.size()) {
        const int64_t count = parseCount(item.substr(x + 1));
        if (count >= 0)
            return {item.substr(0, x), count};
    }
    return {item, 1};
}

struct SetBuilder {
    const std::string& spec;
    DeviceSet set;
    int cpuCores = 0;
    int catalogServers = 0;
    std::map<std::string, int> catalogCounts;

    void add(DeviceSlot slot, const std::string& item)
    {
        if (int64_t(set.stageSlots.size()) >= kMaxStages)
            fail(spec, item, "makes more than " + std::to_string(kMaxStages) + " stages");
        set.stageSlots.push_back(std::move(slot));
    }

    void addCpu(const std::string& item, bool continuation)
    {
        if (continuation)
            fail(spec, item, "continues a cpu term; cpu takes one count (cpu:N)");
        const int64_t count = parseCount(item);
        if (count < 1 || count > kMaxStages)
            fail(spec, "cpu:" + item, "expected cpu:N with N a stage count of at least 1");
        for (int64_t i = 0; i < count; ++i) {
            DeviceSlot slot;
            slot.kind = DeviceKind::Cpu;
            slot.ordinal = cpuCores++;
            slot.label = "cpu:" + std::to_string(slot.ordinal);
            add(std::move(slot), item);
        }
    }

    void addCuda(const std::string& item)
    {
        const auto [ordinalText, count] = splitRepeat(item);
        const int64_t ordinal = parseCount(ordinalText);
        if (ordinal < 0 || count < 1)
            fail(spec, item, "is not a GPU ordinal (expected cuda:K, cuda:K,L or cuda:KxN with N >= 1)");
        for (int64_t i = 0; i < count; ++i) {
            DeviceSlot slot;
            slot.kind = DeviceKind::Cuda;
            slot.ordinal = int(ordinal);
            slot.sharedBy = int(count);
            slot.label = "cuda:" + std::to_string(ordinal);
            if (count > 1) {
                slot.label += '/';
                slot.label += std::to_string(i);
            }
            add(std::move(slot), item);
        }
    }

    void addCatalog(const std::string& item)
    {
        const auto [name, count] = splitRepeat(item);
        if (count < 1)
            fail(spec, item, "asks for no GPUs (expected catalog:NAME or catalog:NAMExN with N >= 1)");
        const DeviceModel* model = nullptr;
        try {
            model = &catalogDevice(name);
        } catch (const InvalidArgument& unknown) {
            fail(spec, item, std::string("names no catalogue device: ") + unknown.what());
        }
        for (int64_t i = 0; i < count; ++i) {
            if (i % model->perServer == 0)
                ++catalogServers;
            DeviceSlot slot;
            slot.kind = DeviceKind::Catalog;
            slot.catalogId = model->id;
            slot.ordinal = catalogCounts[model->id]++;
            slot.label = model->id + "#" + std::to_string(slot.ordinal);
            slot.server = catalogServers;
            add(std::move(slot), item);
        }
    }
};

} // namespace

DeviceSet parseDeviceSet(const std::string& spec)
{
    SetBuilder builder{spec, {}, 0, 0, {}};
    builder.set.spec = spec;
    if (spec.empty())
        throw InvalidArgument("device set is empty (expected e.g. cpu:2, cuda:0,1, cuda:0x4 or "
                              "catalog:H100x8)");
    std::string kind;
    size_t begin = 0;
    while (begin <= spec.size()) {
        const size_t end = std::min(spec.find(',', begin), spec.size());
        std::string item = spec.substr(begin, end - begin);
        begin = end + 1;
        if (item.empty())
            fail(spec, item, "is an empty item (remove the stray comma)");
        const size_t colon = item.find(':');
        const bool continuation = colon == std::string::npos;
        if (!continuation) {
            kind = item.substr(0, colon);
            std::transform(kind.begin(), kind.end(), kind.begin(),
                           [](unsigned char c) { return char(std::tolower(c)); });
            item = item.substr(colon + 1);
            if (item.empty())
                fail(spec, kind + ":", "names no device after the colon");
        } else if (kind.empty()) {
            fail(spec, item, "has no kind (expected cpu:N, cuda:K or catalog:NAME)");
        }
        if (kind == "cpu")
            builder.addCpu(item, continuation);
        else if (kind == "cuda")
            builder.addCuda(item);
        else if (kind == "catalog")
            builder.addCatalog(item);
        else
            fail(spec, kind + ":", "is an unknown kind (known: cpu, cuda, catalog)");
    }
    return builder.set;
}

void resolveLocalGpus(DeviceSet& set, const GpuDiscovery& gpus)
{
    for (DeviceSlot& slot : set.stageSlots) {
        if (slot.kind != DeviceKind::Cuda)
            continue;
        if (slot.ordinal >= int(gpus.gpus.size()))
            throw InvalidArgument(slot.label + ": "
                                  + (gpus.gpus.empty()
                                         ? "no GPU can be used here (" + gpus.status + ")"
                                         : "there is no GPU " + std::to_string(slot.ordinal) + " (this machine has "
                                               + std::to_string(gpus.gpus.size()) + ")")
                                  + "; plan for catalogue GPUs instead (e.g. catalog:H100x2)");
        const std::string& name = gpus.gpus[size_t(slot.ordinal)].name;
        slot.catalogId = catalogIdForGpuName(name);
        slot.peerGpus.clear();
        if (size_t(slot.ordinal) < gpus.peerAccess.size())
            for (size_t peer = 0; peer < gpus.peerAccess[size_t(slot.ordinal)].size(); ++peer)
                if (gpus.peerAccess[size_t(slot.ordinal)][peer])
                    slot.peerGpus.push_back(int(peer));
        if (slot.catalogId.empty())
            throw InvalidArgument(slot.label + ": no catalogue entry matches the GPU '" + name
                                  + "', so its costs cannot be estimated; plan for a catalogue GPU instead");
    }
}

LinkSpec linkBetween(const DeviceSlot& from, const DeviceSlot& to)
{
    for (const DeviceSlot* slot : {&from, &to})
        if (slot->kind == DeviceKind::Cuda && slot->catalogId.empty())
            throw InvalidArgument(slot->label + ": local GPUs are planned after resolveLocalGpus");
    if (from.kind == DeviceKind::Cuda && to.kind == DeviceKind::Cuda) {
        if (from.ordinal == to.ordinal)
            return sameGpuLink();
        auto reaches = [](const DeviceSlot& a, const DeviceSlot& b) {
            return std::find(a.peerGpus.begin(), a.peerGpus.end(), b.ordinal) != a.peerGpus.end();
        };
        return reaches(from, to) && reaches(to, from) ? catalogDevice(from.catalogId).peerLink : hostStagedGpuLink();
    }
    if (from.kind == DeviceKind::Cpu && to.kind == DeviceKind::Cpu)
        return hostMemoryLink();
    if (from.kind == DeviceKind::Catalog && to.kind == DeviceKind::Catalog && from.server == to.server)
        return catalogDevice(from.catalogId).peerLink; // a server holds one model

    return ethernetLink();
}

} // namespace lpm
