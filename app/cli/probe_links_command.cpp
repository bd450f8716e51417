#include "cli/probe_links_command.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/output_files.h"
#include "cli/plan_report.h"
#include "dist/link_probe.h"
#include "io/whole_file.h"
#include "plan/plan_json.h"
#include "tensor/error.h"

namespace lpm::cli {

namespace {

struct ProbeLinksOptions {
    std::string sizes = "8,64K,1M,16M";
    int repeats = 20;
    std::string jsonFile;
    std::string planFile; // its cuts' sizes are measured too
};

// A plan's cuts: cut k, between stage k and k + 1 (ranks k and k + 1), carries
// the output of stage k's last unit for each micro-batch (and its gradient back).
struct PlanCut {
    int lastUnit = 0;
    int64_t bytes = 0; // per micro-batch, each way
};

std::vector<PlanCut> cutsOf(const std::string& planFile)
{
    // (planFromJson validates the plan: unit costs present, stages within them.)
    const Plan plan = planFromJson(readWholeFile(planFile, "plan"), planFile);
    std::vector<PlanCut> cuts;
    for (size_t s = 0; s + 1 < plan.stages.size(); ++s) {
        const int last = plan.stages[s].last;
        cuts.push_back({last, plan.costs.units[size_t(last)].outputBytes * plan.microBatchSize()});
    }
    return cuts;
}

// "8,64K,1M" → bytes; K and M are 1024 and 1024².
std::vector<int64_t> parseSizes(const std::string& text)
{
    std::vector<int64_t> sizes;
    size_t start = 0;
    while (start <= text.size()) {
        const size_t comma = std::min(text.find(',', start), text.size());
        const std::string item = text.substr(start, comma - start);
        size_t used = 0;
        int64_t value = 0;
        try {
            value = std::stoll(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        int64_t scale = 1;
        if (used > 0 && used + 1 == item.size() && (item.back() == 'K' || item.back() == 'M'))
            scale = item.back() == 'K' ? 1024 : 1024 * 1024;
        else if (used == 0 || used != item.size())
            throw InvalidArgument("--sizes: '" + item + "' is not a byte count (a number, optionally with K or M)");
        sizes.push_back(value * scale);
        start = comma + 1;
    }
    return sizes;
}

// The measured time of the size `bytes`, which the probe measured (a plan's cut).
double oneWaySeconds(const LinkProbe& link, int64_t bytes)
{
    for (const LinkSample& sample : link.samples)
        if (sample.bytes == bytes)
            return sample.seconds;
    throw Error("probe-links: " + std::to_string(bytes) + " bytes were not measured");
}

nlohmann::json linksJson(const MpiSession& session, const LinkProbeOptions& options,
                         const std::vector<LinkProbe>& links, const std::vector<PlanCut>& cuts)
{
    nlohmann::json document = {{"ranks", session.size()}, {"hosts", session.hosts()}, {"repeats", options.repeats}};
    nlohmann::json entries = nlohmann::json::array();
    for (const LinkProbe& link : links) {
        nlohmann::json samples = nlohmann::json::array();
        for (const LinkSample& sample : link.samples)
            samples.push_back({{"bytes", sample.bytes}, {"seconds", sample.seconds}});
        entries.push_back({{"from_rank", link.fromRank},
                           {"to_rank", link.toRank},
                           {"from_host", link.fromHost},
                           {"to_host", link.toHost},
                           {"samples", samples},
                           {"latency_seconds", link.fit.latencySeconds},
                           {"bandwidth_bytes_per_second", link.fit.bytesPerSecond}});
        if (size_t(link.fromRank) < cuts.size()) {
            const PlanCut& cut = cuts[size_t(link.fromRank)];
            entries.back()["cut"] = {{"after_unit", cut.lastUnit},
                                     {"bytes_per_micro_batch", cut.bytes},
                                     {"seconds", oneWaySeconds(link, cut.bytes)}};
        }
    }
    document["links"] = entries;
    return document;
}

// "1.18 GB/s (9.4 Gbit/s)", or in MB/s and Mbit/s below 1 GB/s (a throttled link's 12.4 MB/s, 99.1 Mbit/s).
std::string formatBandwidth(double bytesPerSecond)
{
    const bool giga = bytesPerSecond >= 1e9;
    const double scale = giga ? 1e9 : 1e6;
    char text[64];
    std::snprintf(text, sizeof text, "%8.2f %s (%.1f %s)", bytesPerSecond / scale, giga ? "GB/s" : "MB/s",
                  bytesPerSecond * 8.0 / scale, giga ? "Gbit/s" : "Mbit/s");
    return text;
}

void printLinks(const LinkProbeOptions& options, const std::vector<LinkProbe>& links, const std::vector<PlanCut>& cuts)
{
    std::printf("%-8s %-30s", "link", "hosts");
    for (int64_t size : options.sizes)
        std::printf(" %11s", formatBytes(size).c_str());
    std::printf(" %11s %14s\n", "latency", "bandwidth");
    for (const LinkProbe& link : links) {
        const std::string ranks = std::to_string(link.fromRank) + " -> " + std::to_string(link.toRank);
        std::printf("%-8s %-30s", ranks.c_str(), (link.fromHost + " -> " + link.toHost).c_str());
        for (const LinkSample& sample : link.samples)
            std::printf(" %8.1f us", sample.seconds * 1e6);
        std::printf(" %8.1f us %s\n", link.fit.latencySeconds * 1e6, formatBandwidth(link.fit.bytesPerSecond).c_str());
    }
    std::printf("times are one way (half a round trip), medians of %d; latency and bandwidth fit "
                "time = latency + bytes / bandwidth\n",
                options.repeats);
    for (const LinkProbe& link : links)
        if (size_t(link.fromRank) < cuts.size()) {
            const PlanCut& cut = cuts[size_t(link.fromRank)];
            std::printf("cut %d (after unit %d): %s per micro-batch each way, measured %.1f us one way\n",
                        link.fromRank, cut.lastUnit, formatBytes(cut.bytes).c_str(),
                        oneWaySeconds(link, cut.bytes) * 1e6);
        }
}

void runProbeLinks(const ProbeLinksOptions& given)
{
    LinkProbeOptions options;
    options.sizes = parseSizes(given.sizes);
    options.repeats = given.repeats;
    const std::vector<PlanCut> cuts = given.planFile.empty() ? std::vector<PlanCut>{} : cutsOf(given.planFile);
    for (const PlanCut& cut : cuts) // the cuts' own sizes, measured rather than fitted
        if (std::find(options.sizes.begin(), options.sizes.end(), cut.bytes) == options.sizes.end())
            options.sizes.push_back(cut.bytes);
    checkLinkProbeOptions(options);
    if (!given.jsonFile.empty())
        requireWritableOutput(given.jsonFile, "--json");
    if (!mpiBuilt())
        throw Error("probe-links: " + mpiMissingHelp());
    int argc = 0;
    char** argv = nullptr;
    MpiSession session(argc, argv);
    if (session.size() < 2)
        throw InvalidArgument("probe-links measures the links between the ranks of an MPI job, and this one has "
                              + std::to_string(session.size())
                              + " rank; run it under mpirun with at least 2, e.g. mpirun -np 2 lpm probe-links");
    if (!cuts.empty() && session.size() != int(cuts.size()) + 1)
        throw InvalidArgument("probe-links: plan " + given.planFile + " has " + std::to_string(cuts.size() + 1)
                              + " stages, and this job " + std::to_string(session.size()) + " ranks: run it with -np "
                              + std::to_string(cuts.size() + 1));
    try {
        const std::vector<LinkProbe> links = probeNeighbourLinks(session, options);
        if (session.rank() != 0)
            return;
        std::printf("%d ranks;", session.size());
        for (int rank = 0; rank < session.size(); ++rank)
            std::printf(" %d on %s%s", rank, session.hosts()[size_t(rank)].c_str(),
                        rank + 1 < session.size() ? "," : "\n");
        printLinks(options, links, cuts);
        if (!given.jsonFile.empty())
            writeJsonFile(given.jsonFile, linksJson(session, options, links, cuts));
    } catch (const std::exception& error) {
        // Other ranks may be waiting on this one: end the whole job, after saying why.
        std::fprintf(stderr, "lpm: error: rank %d (%s): %s\n", session.rank(),
                     session.hosts()[size_t(session.rank())].c_str(), error.what());
        std::fflush(stderr);
        session.abortJob(1);
    }
}

} // namespace

void addProbeLinksCommand(CLI::App& app)
{
    auto options = std::make_shared<ProbeLinksOptions>();
    CLI::App* command = app.add_subcommand(
        "probe-links", "Measure latency and bandwidth between neighbouring MPI ranks (run under mpirun)");
    command->footer("Example: mpirun -np 2 lpm probe-links --sizes 8,1M,16M --json links.json\n"
                    "Each rank r measures its link to rank r + 1, where pipeline stage r hands stage r + 1 "
                    "its activations. Rank 0 prints the table.");
    command->add_option("--sizes", options->sizes, "Message sizes in bytes, K or M (at least two different)")
        ->capture_default_str();
    command->add_option("--repeats", options->repeats, "Timed round trips per size (their median is kept)")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    command->add_option("--json", options->jsonFile, "Also write the links, with every size's time, as JSON");
    command->add_option("--plan", options->planFile,
                        "A plan file (lpm plan --out): also measure what crosses each of its cuts per micro-batch "
                        "(run with one rank per stage)");
    command->callback([options] { runProbeLinks(*options); });
}

} // namespace lpm::cli
