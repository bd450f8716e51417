// `lpm probe-links`: the links between neighbouring ranks of an MPI job
// (rank r and r + 1, where pipeline stage r hands stage r + 1 its
// activations), measured by ping-pong at the message sizes given, and each
// fitted to a latency and a bandwidth (link_fit.h). Pairs (0, 1), (2, 3) ...
// measure at once, then (1, 2), (3, 4) ..., so that no rank is in two
// measurements at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dist/link_fit.h"
#include "dist/mpi_session.h"

namespace lpm {

struct LinkProbeOptions {
    std::vector<int64_t> sizes = {8, 64 << 10, 1 << 20, 16 << 20}; // bytes, at least two different
    int repeats = 20;                                              // timed round trips per size (after 2 unmeasured)
};

struct LinkProbe {
    int fromRank = 0, toRank = 0; // toRank = fromRank + 1
    std::string fromHost, toHost;
    std::vector<LinkSample> samples; // one per size: the median one-way time
    LinkFit fit;
};

// Collective: every rank of the session calls it with the same options.
// Rank 0 gets every link, in rank order; the other ranks get nothing.
// Throws InvalidArgument for options without two sizes or repeats < 1.
std::vector<LinkProbe> probeNeighbourLinks(MpiSession& session, const LinkProbeOptions& options);

// Checks the options (the same checks as probeNeighbourLinks): for the
// command to refuse them before MPI starts.
void checkLinkProbeOptions(const LinkProbeOptions& options);

} // namespace lpm
