// Device sets: which device runs each pipeline stage, written as a spec string
// that every command takes (--devices).
//
//   cpu:N               N CPU stages, one core each
//   cuda:K[,K...]       one stage on each listed GPU
//   cuda:KxN            N stages sharing GPU K
//   catalog:NAME[xN]    N catalogue GPUs (device_catalog.h) in servers of the
//                       model's perServer; each further catalog item is
//                       another server
//   mixes, separated by commas: "catalog:A100-80x2,catalog:V100x2", "cpu:1,catalog:L4"
//
// Items without a "kind:" continue the term before them ("cuda:0,1",
// "catalog:H100x8,H100x8"). Stages are in the order written, which keeps the
// devices of one server next to each other in the pipeline, so neighbours
// share the fastest links (DESIGN §1.3, step 3).
#pragma once

#include <string>
#include <vector>

#include "devices/device_catalog.h"

namespace lpm {

enum class DeviceKind { Cpu, Cuda, Catalog };

struct DeviceSlot {
    DeviceKind kind = DeviceKind::Cpu;
    std::string label;         // unique in the set: "cpu:0", "cuda:1", "cuda:0/2" (3rd stage on GPU 0), "H100#5"
    int ordinal = 0;           // cpu: core number; cuda: GPU ordinal; catalog: index among its model in the set
    std::string catalogId;     // catalog: the DeviceModel's id; cuda: its entry, once resolveLocalGpus ran
    int server = 0;            // 0 is this machine; catalogue servers count from 1
    int sharedBy = 1;          // stages running on this same physical device
    std::vector<int> peerGpus; // cuda, once resolveLocalGpus ran: the GPUs this one has peer access to
};

struct DeviceSet {
    std::string spec;
    std::vector<DeviceSlot> stageSlots; // one per stage, pipeline order
};

struct GpuDiscovery;

// Gives every cuda:K slot the catalogue entry of local GPU K (for estimates)
// and the GPUs it has peer access to.
// Throws InvalidArgument naming the slot when there is no GPU K here (with
// the discovery's reason) or no catalogue entry matches its name.
void resolveLocalGpus(DeviceSet& set, const GpuDiscovery& gpus);

// Throws InvalidArgument quoting the spec and the offending item, saying what
// was expected, for malformed specs, unknown kinds and unknown catalogue names.
DeviceSet parseDeviceSet(const std::string& spec);

// The link carrying activations from `from` to the next stage's `to` (and
// gradients back): the catalogue's peer link inside a server (NVLink, or PCIe
// for GPUs without it; for two local GPUs, only when they have peer access
// both ways, else a copy staged through host memory), shared memory between
// CPU stages of this machine,
// Ethernet between machines. Throws InvalidArgument for local GPUs (cuda:)
// not yet given their catalogue entry (resolveLocalGpus).
LinkSpec linkBetween(const DeviceSlot& from, const DeviceSlot& to);

} // namespace lpm
