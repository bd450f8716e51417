#include "cli/train_ranks.h"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "dist/byte_packing.h"
#include "dist/link_probe.h"
#include "dist/mpi_channel.h"
#include "dist/rank_broadcast.h"
#include "dist/rank_watchdog.h"
#include "plan/plan_json.h"
#include "tensor/error.h"

namespace lpm::cli {

void runOnRanks(const std::function<void(TrainRanks&)>& train)
{
    int argc = 0;
    char** argv = nullptr;
    MpiSession session(argc, argv); // (throws without MPI: nothing to abort yet)
    const auto endJob = [&session](const std::string& what) {
        std::fprintf(stderr, "lpm: rank %d of %d (host %s): %s\n", session.rank(), session.size(),
                     session.hosts()[size_t(session.rank())].c_str(), what.c_str());
        std::fflush(stderr);
        session.abortJob(1);
    };
    // Declared outside the try: on a failure the channel (and the sends it
    // still holds) stay alive until MPI_Abort ends the job.
    std::unique_ptr<RankWatchdog> watchdog;
    std::unique_ptr<RankChannel> channel;
    try {
        watchdog = std::make_unique<RankWatchdog>(session, kRankSilenceLimit,
                                                  [&](const std::string& what) { endJob(what + "; ending the job"); });
        channel = makeMpiChannel(session);
        if (session.size() < 2)
            throw InvalidArgument("--devices mpi runs one pipeline stage per MPI rank, and this job has 1 rank: "
                                  "start it as mpirun -np P lpm train ... --devices mpi, with P >= 2 stages");
        TrainRanks ranks{session, *channel};
        train(ranks);
    } catch (const std::exception& error) {
        endJob(error.what());
    }
}

std::vector<LinkSpec> measureRankLinks(TrainRanks& ranks, bool quiet)
{
    LinkProbeOptions options;
    options.sizes = {8, 64 << 10, 1 << 20};
    options.repeats = 5;
    std::vector<LinkProbe> probes;
    try {
        probes = probeNeighbourLinks(ranks.session, options);
    } catch (const InvalidArgument& error) {
        // Times that fit no line (rank 0 fits them, after the probe's last
        // collective): ranks sharing cores, a busy machine. Training goes on.
        if (!quiet)
            std::fprintf(stderr,
                         "note: the links between the ranks could not be measured (%s); the plan assumes "
                         "those of cpu:%d\n",
                         error.what(), ranks.size());
        return {};
    }
    std::vector<LinkSpec> links;
    for (const LinkProbe& probe : probes) {
        links.push_back(
            {"MPI, ranks " + std::to_string(probe.fromRank) + " -> " + std::to_string(probe.toRank) + " (measured)",
             probe.fit.bytesPerSecond, probe.fit.latencySeconds});
        if (!quiet)
            std::fprintf(stderr, "link %d -> %d (%s -> %s), measured: latency %.1f us, bandwidth %.1f MB/s\n",
                         probe.fromRank, probe.toRank, probe.fromHost.c_str(), probe.toHost.c_str(),
                         probe.fit.latencySeconds * 1e6, probe.fit.bytesPerSecond / 1e6);
    }
    return links;
}

Plan planOfRankZero(TrainRanks& ranks, const std::function<Plan()>& makePlan)
{
    std::string mine;
    if (ranks.rank() == 0)
        mine = planToJson(makePlan());
    const MessageBytes plan = broadcastFromRankZero(
        ranks.channel, MessageBytes(reinterpret_cast<const std::byte*>(mine.data()),
                                    reinterpret_cast<const std::byte*>(mine.data() + mine.size())));
    return planFromJson(std::string(reinterpret_cast<const char*>(plan.data()), plan.size()), "the plan from rank 0");
}

namespace {

void packDataset(BytePacker& packer, const Dataset& data)
{
    packer.putVector(std::vector<char>(data.name.begin(), data.name.end()));
    for (int64_t value : {data.count, data.channels, data.height, data.width, data.classes, data.tokens})
        packer.put<int64_t>(value);
    packer.putVector(data.images);
    packer.putVector(data.labels);
    packer.putVector(data.text);
}

Dataset unpackDataset(ByteUnpacker& unpacker)
{
    Dataset data;
    const std::vector<char> name = unpacker.getVector<char>();
    data.name.assign(name.begin(), name.end());
    for (int64_t* value : {&data.count, &data.channels, &data.height, &data.width, &data.classes, &data.tokens})
        *value = unpacker.get<int64_t>();
    data.images = unpacker.getVector<float>();
    data.labels = unpacker.getVector<int32_t>();
    data.text = unpacker.getVector<uint8_t>();
    return data;
}

} // namespace

DatasetSplits dataOfRankZero(TrainRanks& ranks, const std::function<DatasetSplits()>& load, bool quiet)
{
    BytePacker packer;
    if (ranks.rank() == 0) {
        const DatasetSplits data = load();
        packDataset(packer, data.train);
        packDataset(packer, data.test);
    }
    MessageBytes mine = packer.take();
    if (ranks.rank() == 0 && !quiet)
        std::fprintf(stderr, "sending the data set (%.1f MB) to the other %d ranks\n", double(mine.size()) / 1e6,
                     ranks.size() - 1);
    const MessageBytes bytes = broadcastFromRankZero(ranks.channel, std::move(mine));
    ByteUnpacker unpacker(bytes, "the data set from rank 0");
    DatasetSplits data;
    data.train = unpackDataset(unpacker);
    data.test = unpackDataset(unpacker);
    return data;
}

void requireRanksAgree(TrainRanks& ranks, const std::vector<std::pair<std::string, std::string>>& identity)
{
    BytePacker packer;
    for (const auto& [what, value] : identity) {
        packer.putVector(std::vector<char>(what.begin(), what.end()));
        packer.putVector(std::vector<char>(value.begin(), value.end()));
    }
    const std::vector<MessageBytes> all = ranks.channel.allGather(packer.take());
    auto read = [&](int rank) {
        ByteUnpacker unpacker(all[size_t(rank)], "the handshake of rank " + std::to_string(rank));
        std::vector<std::pair<std::string, std::string>> fields;
        while (!unpacker.atEnd()) {
            const std::vector<char> what = unpacker.getVector<char>();
            const std::vector<char> value = unpacker.getVector<char>();
            fields.emplace_back(std::string(what.begin(), what.end()), std::string(value.begin(), value.end()));
        }
        return fields;
    };
    const auto reference = read(0);
    for (int rank = 1; rank < ranks.size(); ++rank) {
        const auto theirs = read(rank);
        const std::string who = "rank " + std::to_string(rank) + " (host " + ranks.session.hosts()[size_t(rank)] + ")";
        for (size_t i = 0; i < std::max(reference.size(), theirs.size()); ++i) {
            if (i >= reference.size() || i >= theirs.size() || reference[i].first != theirs[i].first)
                throw Error("the ranks' handshakes differ in form: " + who
                            + " runs another lpm than rank 0 (same version and build on every rank?)");
            if (reference[i].second != theirs[i].second)
                throw Error(who + " would train with " + theirs[i].first + " '" + theirs[i].second + "', rank 0 (host "
                            + ranks.session.hosts()[0] + ") with '" + reference[i].second
                            + "': every rank must run the same lpm on the same data and options");
        }
    }
}

nlohmann::json ranksJson(const TrainRanks& ranks, const Plan& plan)
{
    nlohmann::json links = nlohmann::json::array();
    const int devices = int(plan.devices.size()) / std::max(plan.chunks, 1);
    bool measured = true;
    for (int k = 0; k + 1 < devices; ++k) {
        const LinkSpec& link = plan.devices[size_t(k)].linkToNext;
        measured = measured && link.name.ends_with("(measured)");
        links.push_back({{"from_rank", k},
                         {"to_rank", k + 1},
                         {"name", link.name},
                         {"latency_seconds", link.latencySeconds},
                         {"bandwidth_bytes_per_second", link.bytesPerSecond}});
    }
    return {{"ranks", ranks.size()}, {"hosts", ranks.session.hosts()}, {"links", links}, {"links_measured", measured}};
}

std::string buildIdentity()
{
    return std::string(LPM_VERSION) + " built " + __DATE__ + " " + __TIME__;
}

} // namespace lpm::cli
