// `lpm train --devices mpi`: one pipeline stage per rank of an MPI job
// (mpirun -np P lpm train ... --devices mpi). What the train command needs
// beyond one process: the job (MPI session and channel), the plan that rank 0
// makes and hands the others, the handshake that catches ranks that would
// train different things, and a failure on any rank ending the whole job
// with a message naming the rank and its host.
#pragma once

#include <chrono>
#include <functional>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "data/dataset.h"
#include "devices/device_catalog.h"
#include "dist/mpi_session.h"
#include "dist/rank_channel.h"
#include "plan/plan.h"

namespace lpm::cli {

struct TrainRanks {
    MpiSession& session;
    RankChannel& channel;
    int rank() const { return channel.rank(); }
    int size() const { return channel.size(); }
};

// How long a neighbouring rank may be silent (no heartbeat: stopped, its
// host or link down) before its neighbours end the job (dist/rank_watchdog.h).
// Heartbeats come from a thread of their own every 250 ms, whatever the
// stages compute, so only a rank that cannot run at all is this silent.
inline constexpr std::chrono::milliseconds kRankSilenceLimit{20000};

// Starts MPI and runs `train` on this rank, its neighbours watched for
// silence. Anything it throws, and a neighbour silent for kRankSilenceLimit,
// is printed as "lpm: rank R of P (host H): ..." and ends every rank of the
// job (MPI_Abort), so that none waits for this one. Throws (before MPI
// starts) in a build without MPI, saying how to get it.
void runOnRanks(const std::function<void(TrainRanks&)>& train);

// The links between neighbouring ranks, measured briefly by ping-pong (as
// `lpm probe-links` does, at 8 B, 64 KiB and 1 MiB) for the plan to cut by;
// a collective. Rank 0 gets them, printed on stderr unless `quiet`; the
// others get nothing (they do not plan). Times that fit no line (ranks
// sharing cores on a busy machine) leave a note, and nothing: the plan then
// assumes the device set's links.
std::vector<LinkSpec> measureRankLinks(TrainRanks& ranks, bool quiet);

// Rank 0's `makePlan()`, on every rank (the others receive it as JSON): a
// plan made from measured costs could differ from rank to rank.
Plan planOfRankZero(TrainRanks& ranks, const std::function<Plan()>& makePlan);

// The handshake: what each rank is about to train, as (what, value) pairs in
// the same order on every rank (the build, the model, the data set, the
// options). Throws naming the first rank whose values differ from rank 0's,
// its host, the field and both values.
void requireRanksAgree(TrainRanks& ranks, const std::vector<std::pair<std::string, std::string>>& identity);

// Rank 0's `load()`, on every rank: only rank 0 reads the data set (the
// others' hosts need not have its files), and sends it to the others over
// the job's channel (a note on stderr says how much, unless `quiet`).
// A collective.
DatasetSplits dataOfRankZero(TrainRanks& ranks, const std::function<DatasetSplits()>& load, bool quiet);

// What --json adds across ranks: every rank's host, and the links between
// neighbouring ranks the plan was cut by (its devices' links), measured
// unless the measurement failed (links_measured false: the assumed ones).
nlohmann::json ranksJson(const TrainRanks& ranks, const Plan& plan);

// The build this binary is (version, and when it was compiled), for the handshake.
std::string buildIdentity();

} // namespace lpm::cli
