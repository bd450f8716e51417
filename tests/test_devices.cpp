// Device sets, the catalogue and the links a plan assumes between devices.
#include <gtest/gtest.h>

#include "devices/device_catalog.h"
#include "devices/device_set.h"
#include "devices/host_devices.h"
#include "expect_error.h"

namespace lpm {
namespace {

std::vector<std::string> labels(const DeviceSet& set)
{
    std::vector<std::string> out;
    for (const DeviceSlot& slot : set.stageSlots)
        out.push_back(slot.label);
    return out;
}

TEST(DeviceSet, CpuStagesAreOneCoreEach)
{
    const DeviceSet set = parseDeviceSet("cpu:2");
    EXPECT_EQ(labels(set), (std::vector<std::string>{"cpu:0", "cpu:1"}));
    for (const DeviceSlot& slot : set.stageSlots) {
        EXPECT_EQ(slot.kind, DeviceKind::Cpu);
        EXPECT_EQ(slot.sharedBy, 1);
        EXPECT_EQ(slot.server, 0);
    }
}

TEST(DeviceSet, CudaListsAndSharing)
{
    EXPECT_EQ(labels(parseDeviceSet("cuda:0,1")), (std::vector<std::string>{"cuda:0", "cuda:1"}));
    const DeviceSet shared = parseDeviceSet("cuda:0x4");
    EXPECT_EQ(labels(shared), (std::vector<std::string>{"cuda:0/0", "cuda:0/1", "cuda:0/2", "cuda:0/3"}));
    for (const DeviceSlot& slot : shared.stageSlots) {
        EXPECT_EQ(slot.ordinal, 0);
        EXPECT_EQ(slot.sharedBy, 4);
    }
}

TEST(DeviceSet, CatalogueGpusFillServersOfEight)
{
    const DeviceSet set = parseDeviceSet("catalog:H100x16");
    ASSERT_EQ(set.stageSlots.size(), 16u);
    for (int k = 0; k < 16; ++k) {
        EXPECT_EQ(set.stageSlots[size_t(k)].catalogId, "H100");
        EXPECT_EQ(set.stageSlots[size_t(k)].server, 1 + k / 8);
        EXPECT_EQ(set.stageSlots[size_t(k)].label, "H100#" + std::to_string(k));
    }
    // Each further item is another server, whatever its size.
    const DeviceSet two = parseDeviceSet("catalog:h100x2,H100x2");
    EXPECT_EQ(two.stageSlots[1].server, 1);
    EXPECT_EQ(two.stageSlots[2].server, 2);
}

TEST(DeviceSet, MixesKeepTheirOrder)
{
    const DeviceSet set = parseDeviceSet("catalog:A100-80x2,catalog:V100x2");
    EXPECT_EQ(labels(set), (std::vector<std::string>{"A100-80#0", "A100-80#1", "V100#0", "V100#1"}));
    EXPECT_EQ(set.stageSlots[1].server, 1);
    EXPECT_EQ(set.stageSlots[2].server, 2);
    const DeviceSet local = parseDeviceSet("cpu:1,catalog:L4");
    EXPECT_EQ(labels(local), (std::vector<std::string>{"cpu:0", "L4#0"}));
}

TEST(DeviceSet, MalformedSpecsAreClearErrors)
{
    struct Case {
        std::string spec;
        std::string part;
    };
    const std::vector<Case> cases = {
        {"", "device set is empty"},
        {"gpu:0", "unknown kind (known: cpu, cuda, catalog)"},
        {"cpu:0", "expected cpu:N"},
        {"cpu:two", "expected cpu:N"},
        {"cpu:2,3", "cpu takes one count"},
        {"cpu:", "names no device"},
        {"cpu:2,", "empty item"},
        {"0,1", "has no kind"},
        {"cuda:a", "is not a GPU ordinal"},
        {"cuda:0x0", "is not a GPU ordinal"},
        {"catalog:B200", "known: V100, A100-40, A100-80, RTX4090, L4, H100, H200"},
        {"catalog:H100x0", "asks for no GPUs"},
        {"cpu:100000", "expected cpu:N"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.spec);
        expectError<InvalidArgument>([&] { parseDeviceSet(c.spec); }, {c.part});
        if (!c.spec.empty())
            expectError<InvalidArgument>([&] { parseDeviceSet(c.spec); }, {"'" + c.spec + "'"});
    }
    expectError<InvalidArgument>([] { parseDeviceSet("catalog:H100x5000"); }, {"more than 4096 stages"});
}

TEST(DeviceSet, LinksFollowTheMachines)
{
    const DeviceSet set = parseDeviceSet("cpu:2,catalog:H100x9,catalog:L4x2");
    const auto link = [&](size_t k) { return linkBetween(set.stageSlots[k], set.stageSlots[k + 1]); };
    EXPECT_EQ(link(0).name, "shared memory");
    EXPECT_EQ(link(1).name, ethernetLink().name); // this machine to a catalogue server
    EXPECT_EQ(link(2).name, "NVLink 4");
    EXPECT_DOUBLE_EQ(link(2).bytesPerSecond, 450e9); // the data sheet's 900 GB/s is both directions
    EXPECT_EQ(link(9).name, ethernetLink().name);    // H100 #7 to #8: the next server
    EXPECT_EQ(link(11).name, "PCIe 4.0 x16");        // two L4 in one server: no NVLink
    EXPECT_DOUBLE_EQ(link(11).bytesPerSecond, 32e9);
    DeviceSet gpus = parseDeviceSet("cuda:0,1,1");
    expectError<InvalidArgument>([&] { linkBetween(gpus.stageSlots[0], gpus.stageSlots[1]); },
                                 {"cuda:0", "resolveLocalGpus"});
    GpuDiscovery none;
    none.status = "no NVIDIA driver on this machine";
    expectError<InvalidArgument>([&] { resolveLocalGpus(gpus, none); }, {"cuda:0", "no NVIDIA driver"});
    GpuDiscovery two;
    two.gpus.resize(2);
    for (int i = 0; i < 2; ++i) {
        two.gpus[size_t(i)].index = i;
        two.gpus[size_t(i)].name = "NVIDIA H100 80GB HBM3";
    }
    two.peerAccess = {{false, true}, {true, false}};
    resolveLocalGpus(gpus, two);
    EXPECT_EQ(gpus.stageSlots[2].catalogId, "H100");
    EXPECT_EQ(linkBetween(gpus.stageSlots[0], gpus.stageSlots[1]).name, catalogDevice("H100").peerLink.name);
    EXPECT_EQ(linkBetween(gpus.stageSlots[1], gpus.stageSlots[2]).name, sameGpuLink().name);
    // Peer access one way only: the copies back would be staged through the host.
    two.peerAccess = {{false, true}, {false, false}};
    resolveLocalGpus(gpus, two);
    const LinkSpec staged = linkBetween(gpus.stageSlots[0], gpus.stageSlots[1]);
    EXPECT_EQ(staged.name, hostStagedGpuLink().name);
    EXPECT_NE(staged.name.find("through host memory"), std::string::npos);
    EXPECT_LT(staged.bytesPerSecond, catalogDevice("H100").peerLink.bytesPerSecond);
    DeviceSet third = parseDeviceSet("cuda:2");
    expectError<InvalidArgument>([&] { resolveLocalGpus(third, two); }, {"cuda:2", "there is no GPU 2", "has 2"});
    two.gpus[0].name = "Tesla K80";
    DeviceSet unknown = parseDeviceSet("cuda:0");
    expectError<InvalidArgument>([&] { resolveLocalGpus(unknown, two); }, {"cuda:0", "'Tesla K80'", "catalogue"});
}

TEST(DeviceCatalog, LocalGpuNamesFindTheirEntries)
{
    EXPECT_EQ(catalogIdForGpuName("NVIDIA H100 80GB HBM3"), "H100");
    EXPECT_EQ(catalogIdForGpuName("NVIDIA H200"), "H200");
    EXPECT_EQ(catalogIdForGpuName("NVIDIA A100-SXM4-40GB"), "A100-40");
    EXPECT_EQ(catalogIdForGpuName("NVIDIA A100-SXM4-80GB"), "A100-80");
    EXPECT_EQ(catalogIdForGpuName("NVIDIA GeForce RTX 4090"), "RTX4090");
    EXPECT_EQ(catalogIdForGpuName("Tesla V100-SXM2-32GB"), "V100");
    EXPECT_EQ(catalogIdForGpuName("NVIDIA L4"), "L4");
    EXPECT_EQ(catalogIdForGpuName("Tesla K80"), "");
}

TEST(DeviceCatalog, EntriesAreCompleteAndFoundByAnyCase)
{
    ASSERT_GE(deviceCatalog().size(), 7u);
    for (const DeviceModel& device : deviceCatalog()) {
        SCOPED_TRACE(device.id);
        EXPECT_GT(device.fp32FlopsPerSecond, 1e12);
        // Tensor cores (0: none) run at least as fast as the FP32 units (the RTX 4090's TF32 at the same rate).
        EXPECT_TRUE(device.tensorFlopsPerSecond == 0.0 || device.tensorFlopsPerSecond >= device.fp32FlopsPerSecond);
        EXPECT_GT(device.memoryBytesPerSecond, 1e11);
        EXPECT_GE(device.memoryBytes, int64_t(16) * 1000 * 1000 * 1000);
        EXPECT_GT(device.peerLink.bytesPerSecond, 0.0);
        EXPECT_GT(device.peerLink.latencySeconds, 0.0);
        EXPECT_GE(device.perServer, 1);
        EXPECT_EQ(&catalogDevice(device.id), &device);
    }
    EXPECT_EQ(catalogDevice("h200").memoryBytes, int64_t(141) * 1000 * 1000 * 1000);
    EXPECT_DOUBLE_EQ(catalogDevice("A100-40").fp32FlopsPerSecond, 19.5e12);
    expectError<InvalidArgument>([] { catalogDevice("TPU"); }, {"'TPU'", "H100"});
}

TEST(HostDevices, ThisMachineHasCoresAndMemory)
{
    const HostDevices host = discoverHostDevices();
    EXPECT_GE(host.cpuCores, 1);
    EXPECT_GT(host.memoryBytes, int64_t(1) << 28);
    EXPECT_FALSE(host.cpuName.empty());
    EXPECT_FALSE(host.gpu.status.empty());
}

} // namespace
} // namespace lpm
