// `lpm probe-links` under mpirun on this machine's loopback: rank 0 prints
// and writes one link per neighbouring pair of ranks (2 and 3 ranks, over
// TCP, as between machines), each with a time per size, a latency and a
// bandwidth; a plan's cuts measured at their own size; outside an MPI job
// of 2 ranks or more, and for bad sizes, a clear error. Skipped as
// mpi_cli_support.h says.
#include "mpi_cli_support.h"

namespace lpm::testing_cli {
namespace {

using ProbeLinksCli = MpiCli;

TEST_F(ProbeLinksCli, EachNeighbouringPairOfRanksGetsALatencyAndABandwidth)
{
    for (int ranks : {2, 3}) {
        SCOPED_TRACE(std::to_string(ranks) + " ranks");
        const fs::path report = path("links-" + std::to_string(ranks) + ".json");
        const RunResult result = mpiLpm(ranks, "probe-links --sizes 8,64K,1M --repeats 20 --json " + quote(report));
        ASSERT_EQ(result.exitCode, 0) << result.err;
        EXPECT_THAT(result.out, HasSubstr(std::to_string(ranks) + " ranks;"));
        EXPECT_THAT(result.out, HasSubstr("0 -> 1"));
        const json document = readJson(report);
        EXPECT_EQ(document.at("ranks"), ranks);
        ASSERT_EQ(document.at("hosts").size(), size_t(ranks));
        ASSERT_EQ(document.at("links").size(), size_t(ranks - 1));
        for (int from = 0; from + 1 < ranks; ++from) {
            const json& link = document.at("links")[size_t(from)];
            EXPECT_EQ(link.at("from_rank"), from);
            EXPECT_EQ(link.at("to_rank"), from + 1);
            EXPECT_EQ(link.at("from_host"), document.at("hosts")[size_t(from)]);
            ASSERT_EQ(link.at("samples").size(), 3u);
            EXPECT_EQ(link.at("samples")[2].at("bytes"), 1 << 20);
            for (const json& sample : link.at("samples"))
                EXPECT_GT(sample.at("seconds").get<double>(), 0.0);
            // A loopback carries at least 10 MB/s and answers within 10 ms.
            EXPECT_GT(link.at("bandwidth_bytes_per_second").get<double>(), 1e7);
            EXPECT_GE(link.at("latency_seconds").get<double>(), 0.0);
            EXPECT_LT(link.at("latency_seconds").get<double>(), 1e-2);
        }
    }
}

// --plan: what crosses each cut of a plan per micro-batch is measured too,
// with one rank per stage.
TEST_F(ProbeLinksCli, APlansCutsAreMeasuredAtTheirOwnSize)
{
    const fs::path plan = path("plan.json");
    const RunResult planned =
        lpm("plan --model cnn --devices catalog:V100x2 --batch 64 --micro-batches 4 --out " + quote(plan));
    ASSERT_EQ(planned.exitCode, 0) << planned.err;
    const json planDocument = readJson(plan);
    const fs::path report = path("links.json");
    const RunResult result =
        mpiLpm(2, "probe-links --plan " + quote(plan) + " --sizes 8,1M --repeats 10 --json " + quote(report));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr("cut 0 (after unit "));
    const json link = readJson(report).at("links")[0];
    const json& cut = link.at("cut");
    EXPECT_EQ(cut.at("after_unit"), planDocument.at("stages")[0].at("last"));
    const int64_t bytes = cut.at("bytes_per_micro_batch");
    // cnn's cut carries an activation of at least 10 floats a sample, for 16 samples.
    EXPECT_GE(bytes, int64_t(16 * 10 * sizeof(float)));
    ASSERT_EQ(link.at("samples").size(), 3u); // 8, 1M and the cut's size
    EXPECT_EQ(link.at("samples")[2].at("bytes"), bytes);
    EXPECT_EQ(link.at("samples")[2].at("seconds"), cut.at("seconds"));

    const RunResult mismatched = mpiLpm(3, "probe-links --plan " + quote(plan) + " --sizes 8,1M --repeats 3");
    EXPECT_NE(mismatched.exitCode, 0);
    EXPECT_THAT(mismatched.err, HasSubstr("has 2 stages, and this job 3 ranks: run it with -np 2"));
}

TEST_F(ProbeLinksCli, OutsideAJobOfTwoRanksAndForBadSizesItSaysWhatToDo)
{
    expectOneLineError(lpm("probe-links"), {"has 1 rank", "mpirun -np 2 lpm probe-links"});
    expectOneLineError(lpm("probe-links --sizes 8,8"), {"at least two different message sizes"});
    expectOneLineError(lpm("probe-links --sizes 8,12X"), {"--sizes", "'12X' is not a byte count"});
    expectOneLineError(lpm("probe-links --sizes 8,2048M"), {"2147483648 bytes is outside 1 byte .. 1 GiB"});
    expectOneLineError(lpm("probe-links --sizes 8,1M --json /no/such/folder/links.json"), {"--json"});
    expectOneLineError(lpm("probe-links --plan /no/such/plan.json"), {"/no/such/plan.json", "cannot open plan"});
}

} // namespace
} // namespace lpm::testing_cli
