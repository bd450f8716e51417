#include "dist/link_probe.h"

#include <algorithm>

#include "dist/mpi_check.h"

namespace lpm {

namespace {

constexpr int kProbeTag = 7001;

// One way, median over `repeats` round trips of `bytes` between this rank
// and `peer`; `leader` times, the other echoes. The echoing rank gets 0.
double pingPong(int peer, bool leader, std::vector<char>& buffer, int64_t bytes, int repeats)
{
    std::vector<double> oneWay;
    for (int round = -2; round < repeats; ++round) { // two rounds unmeasured: connections, caches
        const double start = MPI_Wtime();
        if (leader) {
            checkMpi(MPI_Send(buffer.data(), int(bytes), MPI_BYTE, peer, kProbeTag, MPI_COMM_WORLD), "MPI_Send");
            checkMpi(MPI_Recv(buffer.data(), int(bytes), MPI_BYTE, peer, kProbeTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
                     "MPI_Recv");
        } else {
            checkMpi(MPI_Recv(buffer.data(), int(bytes), MPI_BYTE, peer, kProbeTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
                     "MPI_Recv");
            checkMpi(MPI_Send(buffer.data(), int(bytes), MPI_BYTE, peer, kProbeTag, MPI_COMM_WORLD), "MPI_Send");
        }
        if (round >= 0)
            oneWay.push_back((MPI_Wtime() - start) / 2.0);
    }
    if (!leader)
        return 0.0;
    std::sort(oneWay.begin(), oneWay.end());
    return oneWay[oneWay.size() / 2];
}

} // namespace

std::vector<LinkProbe> probeNeighbourLinks(MpiSession& session, const LinkProbeOptions& options)
{
    checkLinkProbeOptions(options);
    const int rank = session.rank(), ranks = session.size();
    std::vector<char> buffer(size_t(*std::max_element(options.sizes.begin(), options.sizes.end())), 1);
    // This rank's link to rank + 1, if any: its one-way times, one per size.
    std::vector<double> mine(options.sizes.size(), 0.0);
    for (int parity = 0; parity < 2; ++parity) {
        // In this round, pairs (r, r + 1) with r of this parity measure.
        const bool leads = rank % 2 == parity && rank + 1 < ranks;
        const bool echoes = (rank - 1) % 2 == parity && rank >= 1;
        for (size_t k = 0; k < options.sizes.size(); ++k) {
            if (leads)
                mine[k] = pingPong(rank + 1, true, buffer, options.sizes[k], options.repeats);
            else if (echoes)
                pingPong(rank - 1, false, buffer, options.sizes[k], options.repeats);
        }
        checkMpi(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
    }
    // Every rank's times to rank 0 (the last rank's are zeros: it has no link onward).
    std::vector<double> all(rank == 0 ? size_t(ranks) * mine.size() : 0);
    checkMpi(MPI_Gather(mine.data(), int(mine.size()), MPI_DOUBLE, all.data(), int(mine.size()), MPI_DOUBLE, 0,
                        MPI_COMM_WORLD),
             "MPI_Gather of the link times");
    std::vector<LinkProbe> links;
    if (rank != 0)
        return links;
    for (int from = 0; from + 1 < ranks; ++from) {
        LinkProbe link;
        link.fromRank = from;
        link.toRank = from + 1;
        link.fromHost = session.hosts()[size_t(from)];
        link.toHost = session.hosts()[size_t(from + 1)];
        for (size_t k = 0; k < options.sizes.size(); ++k)
            link.samples.push_back({options.sizes[k], all[size_t(from) * mine.size() + k]});
        link.fit = fitLink(link.samples);
        links.push_back(std::move(link));
    }
    return links;
}

} // namespace lpm
