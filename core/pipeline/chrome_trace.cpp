#include "pipeline/chrome_trace.h"

#include <nlohmann/json.hpp>

#include "tensor/error.h"

namespace lpm {

namespace {

constexpr int kComputeThread = 0;
constexpr int kLinkThread = 1;

double microseconds(double seconds)
{
    return seconds * 1e6;
}

} // namespace

std::string chromeTraceJson(const Timeline& timeline, const std::vector<std::string>& stageNames)
{
    if (int(stageNames.size()) != timeline.stages)
        throw InvalidArgument("chrome trace: " + std::to_string(stageNames.size()) + " names for "
                              + std::to_string(timeline.stages) + " stages");
    using nlohmann::json;
    json events = json::array();
    for (int s = 0; s < timeline.stages; ++s) {
        events.push_back(
            {{"ph", "M"}, {"name", "process_name"}, {"pid", s}, {"args", {{"name", stageNames[size_t(s)]}}}});
        events.push_back({{"ph", "M"}, {"name", "process_sort_index"}, {"pid", s}, {"args", {{"sort_index", s}}}});
        events.push_back({{"ph", "M"},
                          {"name", "thread_name"},
                          {"pid", s},
                          {"tid", kComputeThread},
                          {"args", {{"name", "compute"}}}});
        events.push_back(
            {{"ph", "M"}, {"name", "thread_name"}, {"pid", s}, {"tid", kLinkThread}, {"args", {{"name", "link"}}}});
    }
    for (const TimelineEvent& event : timeline.events) {
        std::string name = actionKindLook(event.kind).symbol;
        json args = {{"mini_batch", event.miniBatch}};
        if (event.microBatch >= 0) {
            name += std::to_string(event.microBatch);
            args["micro_batch"] = event.microBatch;
        }
        events.push_back({{"ph", "X"},
                          {"name", name},
                          {"cat", actionKindLook(event.kind).category},
                          {"pid", event.stage},
                          {"tid", kComputeThread},
                          {"ts", microseconds(event.start)},
                          {"dur", microseconds(event.end - event.start)},
                          {"args", args}});
    }
    int flow = 0;
    for (const TimelineTransfer& transfer : timeline.transfers) {
        const std::string name = std::string(directionName(transfer.direction)) + " "
                                 + std::to_string(transfer.microBatch) + " to stage "
                                 + std::to_string(transfer.toStage);
        const json args = {{"micro_batch", transfer.microBatch}, {"mini_batch", transfer.miniBatch}};
        const double start = microseconds(transfer.start);
        const double end = microseconds(transfer.end);
        events.push_back({{"ph", "X"},
                          {"name", name},
                          {"cat", "transfer"},
                          {"pid", transfer.fromStage},
                          {"tid", kLinkThread},
                          {"ts", start},
                          {"dur", end - start},
                          {"args", args}});
        // The arrow leaves from inside the transfer's slice and lands on the
        // receiver's next slice (a flow end binds to the slice after it).
        events.push_back({{"ph", "s"},
                          {"name", "transfer"},
                          {"cat", "transfer"},
                          {"id", flow},
                          {"pid", transfer.fromStage},
                          {"tid", kLinkThread},
                          {"ts", 0.5 * (start + end)}});
        events.push_back({{"ph", "f"},
                          {"name", "transfer"},
                          {"cat", "transfer"},
                          {"id", flow},
                          {"pid", transfer.toStage},
                          {"tid", kComputeThread},
                          {"ts", end}});
        ++flow;
    }
    const json trace = {{"traceEvents", events}, {"displayTimeUnit", "ms"}};
    return trace.dump() + "\n";
}

} // namespace lpm
