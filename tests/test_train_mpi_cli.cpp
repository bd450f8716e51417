// `lpm train --devices mpi` under mpirun on this machine's loopback, one
// pipeline stage per process (over TCP, as between machines): every exact
// schedule leaves in rank 0's --json the weights digest of one-process
// sequential training, on 2, 3 and 4 ranks; dp and lpm-async train as they
// do in one process; ranks that would train different things are stopped by the
// handshake before training, naming the rank; a checkpoint resumes on any
// rank count; a rank killed mid-run ends the job within 30 s, naming it;
// outside a job of 2 ranks or more, a clear error. Skipped as mpi_cli_support.h says.
#include "mpi_cli_support.h"

#include <fstream>

#include "schedule/schedule.h"

namespace lpm::testing_cli {
namespace {

// How a job ended after one of its ranks got a signal.
struct SignalledJob {
    RunResult result;
    // from the signal to the end of mpirun; −1: not measured
    long long endedAfterMs = -1;
    bool reportWritten = false;
    bool processesLeft = false;
};

class TrainMpiCli : public MpiCli {
protected:
    // What every run here trains: the cnn on synthetic data, `steps` steps
    // of 32 samples in 4 micro-batches.
    std::string training(int64_t steps = 3)
    {
        return "train --model cnn --dataset synthetic --steps " + std::to_string(steps)
               + " --batch 32 --micro-batches 4";
    }
    // ... pipelined, planned from fixed costs (no profiling) by the balanced
    // partitioner: the lpm partitioner weighs the links measured at the
    // start, which vary on a loaded machine, and may then use fewer ranks.
    std::string common(int64_t steps = 3)
    {
        return training(steps) + " --costs " + quote(exampleCnnCosts()) + " --partitioner balanced --no-eval --quiet";
    }
    std::string digestIn(const fs::path& report) { return readJson(report).at("weights_digest"); }
    std::string sequentialDigest()
    {
        const fs::path report = path("sequential.json");
        const RunResult result = lpm(training() + " --no-eval --quiet --json " + quote(report));
        EXPECT_EQ(result.exitCode, 0) << result.err;
        return digestIn(report);
    }
    // A long run (common(), then `more`) of 2 ranks, rank 1 of which (found
    // by the rank Open MPI puts in its environment) gets `signal` after 4 s
    // (planning and the handshake take about 1).
    SignalledJob signalRankOneMidRun(const std::string& signal, const std::string& more = "")
    {
        const fs::path marker = path("signalled-run-" + signal + ".json");
        const fs::path script = path("signal-rank-1-" + signal + ".sh");
        std::ofstream(script)
            << "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe --mca "
               "btl tcp,self -np 2 "
            << quote(LPM_BINARY) << " " << common(1000000) << " " << more << " --devices mpi --json " << quote(marker)
            << " &\n"
            << "job=$!\nsleep 4\n"
            << "for p in $(pgrep -f " << quote(marker.string()) << "); do\n"
            << "  if tr '\\0' '\\n' </proc/$p/environ | grep -qx OMPI_COMM_WORLD_RANK=1; then\n"
            << "    kill -" << signal << " $p && echo signalled\n  fi\ndone\n"
            << "start=$(date +%s%N)\nwait $job\necho \"exit $? after $(( ($(date +%s%N) - start) / "
               "1000000 )) ms\"\n";
        SignalledJob job;
        job.result = shell("bash " + quote(script));
        EXPECT_THAT(job.result.out, HasSubstr("signalled"));
        EXPECT_THAT(job.result.out, testing::ContainsRegex("exit [1-9][0-9]* after [0-9]+ ms"));
        const size_t after = job.result.out.find(" after ");
        if (after != std::string::npos)
            job.endedAfterMs = std::stoll(job.result.out.substr(after + 7));
        job.reportWritten = fs::exists(marker);
        // (the pattern "signalled-ru[n]" matches the job's command lines, not this shell's)
        std::string pattern = marker.string();
        pattern.replace(pattern.find("signalled-run"), 13, "signalled-ru[n]");
        job.processesLeft = std::system(("pgrep -f " + quote(pattern) + " >/dev/null").c_str()) == 0;
        if (job.processesLeft) { // (so that no test after this one meets them)
            EXPECT_EQ(std::system(("pkill -9 -f " + quote(pattern)).c_str()), 0);
        }
        return job;
    }
};

TEST_F(TrainMpiCli, EveryExactScheduleAcrossProcessesLeavesSequentialsWeights)
{
    const std::string reference = sequentialDigest();
    int runs = 0, measured = 0;
    for (const std::string& schedule : scheduleNames()) {
        const ScheduleTraits traits = scheduleTraits(schedule);
        if (!traits.exact() || traits.fixedCuts())
            continue;
        // 2 ranks for every schedule, and 3 and 4 for some (the cnn has 5 units).
        std::vector<int> rankCounts = {2};
        if (schedule == "gpipe")
            rankCounts.push_back(3);
        if (schedule == "lpm")
            rankCounts.push_back(4);
        for (int ranks : rankCounts) {
            SCOPED_TRACE(schedule + " on " + std::to_string(ranks) + " ranks");
            const fs::path report = path(schedule + "-" + std::to_string(ranks) + ".json");
            const RunResult result =
                mpiLpm(ranks, common() + " --devices mpi --schedule " + schedule + " --json " + quote(report));
            ASSERT_EQ(result.exitCode, 0) << result.err;
            EXPECT_EQ(digestIn(report), reference);
            const json document = readJson(report);
            EXPECT_EQ(document.at("steps"), 3);
            EXPECT_EQ(document.at("stages").size(), size_t(traits.interleaved ? 2 * ranks : ranks));
            // The links between neighbouring ranks, measured at the start, cut
            // the plan and are saved (on a busy machine the times may fit no
            // line: the plan then assumes cpu:P's links, and says so).
            EXPECT_EQ(document.at("ranks"), ranks);
            ASSERT_EQ(document.at("hosts").size(), size_t(ranks));
            ASSERT_EQ(document.at("links").size(), size_t(ranks - 1));
            if (document.at("links_measured").get<bool>()) {
                ++measured;
                for (const json& link : document.at("links")) {
                    EXPECT_THAT(link.at("name").get<std::string>(), HasSubstr("(measured)"));
                    EXPECT_GT(link.at("bandwidth_bytes_per_second").get<double>(), 1e7); // a loopback's, at least
                    EXPECT_LT(link.at("latency_seconds").get<double>(), 1e-2);
                }
            }
            ++runs;
        }
    }
    EXPECT_GE(runs, 5);     // gpipe, 1f1b, lpm and more
    EXPECT_GE(measured, 1); // (a machine busy through every run would fail this)
}

TEST_F(TrainMpiCli, DataParallelAcrossProcessesEqualsDataParallelInOneProcess)
{
    for (int ranks : {2, 3}) {
        SCOPED_TRACE(std::to_string(ranks) + " replicas");
        const fs::path inProcess = path("dp-in-process.json"), acrossRanks = path("dp-across-ranks.json");
        const RunResult one =
            lpm(common() + " --devices cpu:" + std::to_string(ranks) + " --schedule dp --json " + quote(inProcess));
        ASSERT_EQ(one.exitCode, 0) << one.err;
        const RunResult many = mpiLpm(ranks, common() + " --devices mpi --schedule dp --json " + quote(acrossRanks));
        ASSERT_EQ(many.exitCode, 0) << many.err;
        EXPECT_EQ(digestIn(acrossRanks), digestIn(inProcess));
        EXPECT_EQ(readJson(acrossRanks).at("optimizer_state_digest"), readJson(inProcess).at("optimizer_state_digest"));
        EXPECT_EQ(readJson(acrossRanks).at("train_loss"), readJson(inProcess).at("train_loss"));
    }
}

TEST_F(TrainMpiCli, GradientClippingAcrossProcessesClipsAsInOneProcess)
{
    // The stages share their units' squared gradients over the channel, so
    // each clips by the whole model's norm, summed in unit order.
    const std::string clip = " --clip-grad-norm 0.05";
    // The weights digest of `arguments` run by `ranks` ranks (0: one process).
    auto digestOf = [&](int ranks, const std::string& arguments) {
        const fs::path report = path("clipped.json");
        fs::remove(report);
        const std::string command = arguments + clip + " --json " + quote(report);
        const RunResult result = ranks > 0 ? mpiLpm(ranks, command + " --devices mpi") : lpm(command);
        EXPECT_EQ(result.exitCode, 0) << arguments << ": " << result.err;
        return result.exitCode == 0 ? digestIn(report) : "(failed: " + arguments + ")";
    };
    const std::string sequential = digestOf(0, training() + " --no-eval --quiet");
    ASSERT_NE(sequential, sequentialDigest()) << clip << " did not clip: no test of it";
    EXPECT_EQ(digestOf(2, common() + " --schedule 1f1b"), sequential);
    EXPECT_EQ(digestOf(2, common() + " --schedule lpm"), sequential);
    EXPECT_EQ(digestOf(3, common() + " --schedule gpipe"), sequential);
    EXPECT_EQ(digestOf(2, common() + " --schedule dp"), digestOf(0, common() + " --devices cpu:2 --schedule dp"));
}

TEST_F(TrainMpiCli, LpmAsyncAcrossProcessesTrainsAsInOneProcess)
{
    const fs::path inProcess = path("in-process.json"), acrossRanks = path("across-ranks.json");
    const RunResult one = lpm(common() + " --devices cpu:2 --schedule lpm-async --json " + quote(inProcess));
    ASSERT_EQ(one.exitCode, 0) << one.err;
    const RunResult two = mpiLpm(2, common() + " --devices mpi --schedule lpm-async --json " + quote(acrossRanks));
    ASSERT_EQ(two.exitCode, 0) << two.err;
    EXPECT_EQ(digestIn(acrossRanks), digestIn(inProcess));
    EXPECT_EQ(readJson(acrossRanks).at("train_loss"), readJson(inProcess).at("train_loss"));
}

TEST_F(TrainMpiCli, ACheckpointFromTwoRanksResumesOnTwoOrThreeAsIfUninterrupted)
{
    // 6 steps at once, against 3 saved by 2 ranks and 3 more after loading
    // them (rank 0 writes the whole model: any rank count can resume it).
    auto run = [&](int ranks, int steps, const std::string& more, const std::string& name) {
        const fs::path report = path(name + ".json");
        const RunResult result =
            mpiLpm(ranks, common(steps) + " --devices mpi --schedule gpipe " + more + " --json " + quote(report));
        EXPECT_EQ(result.exitCode, 0) << result.err;
        return digestIn(report);
    };
    const std::string uninterrupted = run(2, 6, "", "six");
    run(2, 3, "--save-checkpoint " + quote(path("three.ckpt")), "three");
    ASSERT_TRUE(fs::exists(path("three.ckpt")));
    EXPECT_EQ(run(2, 3, "--load-checkpoint " + quote(path("three.ckpt")), "resumed-on-2"), uninterrupted);
    EXPECT_EQ(run(3, 3, "--load-checkpoint " + quote(path("three.ckpt")), "resumed-on-3"), uninterrupted);
}

TEST_F(TrainMpiCli, ARankKilledMidEpochEndsTheJobWithinThirtySecondsNamingIt)
{
    const fs::path checkpoint = path("every-10-steps.ckpt");
    const SignalledJob job =
        signalRankOneMidRun("KILL", "--save-checkpoint " + quote(checkpoint) + " --checkpoint-every 10");
    EXPECT_GE(job.endedAfterMs, 0);
    EXPECT_LT(job.endedAfterMs, 30000) << job.result.out;
    EXPECT_THAT(job.result.err, HasSubstr("process rank 1"));
    EXPECT_THAT(job.result.err, HasSubstr("exited on signal 9"));
    EXPECT_FALSE(job.reportWritten); // rank 0 wrote no report of a run that did not end
    EXPECT_FALSE(job.processesLeft) << "an lpm process of the killed job is still running";
    // The last complete checkpoint (every 10 steps, replaced atomically)
    // resumes in one process to the weights of an uninterrupted run.
    ASSERT_TRUE(fs::exists(checkpoint));
    const fs::path resumed = path("resumed.json");
    const RunResult resume =
        lpm(training(2) + " --no-eval --quiet --load-checkpoint " + quote(checkpoint) + " --json " + quote(resumed));
    ASSERT_EQ(resume.exitCode, 0) << resume.err;
    const int64_t saved = readJson(resumed).at("global_step").get<int64_t>() - 2;
    EXPECT_GT(saved, 0);
    EXPECT_EQ(saved % 10, 0);
    const fs::path straight = path("straight.json");
    ASSERT_EQ(lpm(training(saved + 2) + " --no-eval --quiet --json " + quote(straight)).exitCode, 0);
    EXPECT_EQ(digestIn(resumed), digestIn(straight));
}

TEST_F(TrainMpiCli, ARankThatStopsAnsweringEndsTheJobWithinThirtySecondsNamingIt)
{
    // SIGSTOP: the process lives on but answers nothing, so only rank 0's
    // watch over its neighbours can end the job (after 20 s of silence).
    const SignalledJob job = signalRankOneMidRun("STOP");
    EXPECT_GE(job.endedAfterMs, 0);
    EXPECT_LT(job.endedAfterMs, 30000) << job.result.out;
    EXPECT_THAT(job.result.err, testing::ContainsRegex("lpm: rank 0 of 2 \\(host [^)]+\\): rank 1 \\(host [^)]+\\) has "
                                                       "not answered for 2[0-9]\\.[0-9] s \\(stopped, or its host "
                                                       "or the link to it is down\\); ending the job"));
    // The stopped rank, continued by mpirun to be ended, blames no one.
    EXPECT_THAT(job.result.err, Not(HasSubstr("rank 1 of 2 (host")));
    EXPECT_FALSE(job.reportWritten);
    EXPECT_FALSE(job.processesLeft) << "an lpm process of the stopped job is still running";
}

TEST_F(TrainMpiCli, SigusrToMpirunStopsEveryRankAtOneStepAndRankZeroWritesTheRun)
{
    // mpirun forwards SIGUSR1 to every rank; rank 0 stops the job after the
    // last mini-batch it began, the others there too, and it writes the
    // report and the checkpoint of a shorter run.
    const fs::path report = path("stopped.json"), checkpoint = path("stopped.ckpt");
    const fs::path script = path("stop-job.sh");
    std::ofstream(script) << "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe --mca "
                             "btl tcp,self -np 2 "
                          << quote(LPM_BINARY) << " " << common(1000000) << " --devices mpi --json " << quote(report)
                          << " --save-checkpoint " << quote(checkpoint) << " &\n"
                          << "job=$!\nsleep 4\nkill -USR1 $job\nwait $job\necho \"exit $?\"\n";
    const RunResult result = shell("bash " + quote(script));
    EXPECT_THAT(result.out, HasSubstr("exit 0")) << result.err;
    ASSERT_TRUE(fs::exists(report)) << result.err;
    const json document = readJson(report);
    EXPECT_TRUE(document.at("stopped").get<bool>());
    const int64_t steps = document.at("steps").get<int64_t>();
    EXPECT_GT(steps, 0);
    EXPECT_LT(steps, 1000000);
    EXPECT_TRUE(fs::exists(checkpoint));
    const fs::path straight = path("straight.json");
    ASSERT_EQ(lpm(training(steps) + " --no-eval --quiet --json " + quote(straight)).exitCode, 0);
    EXPECT_EQ(digestIn(report), digestIn(straight));
}

TEST_F(TrainMpiCli, RanksThatWouldTrainDifferentlyAreStoppedBeforeTraining)
{
    // Rank 1 with another learning rate: the handshake names it, its host and both values.
    const RunResult result = mpirun("-np 1 " + quote(LPM_BINARY) + " " + common() + " --devices mpi --lr 0.05 : -np 1 "
                                    + quote(LPM_BINARY) + " " + common() + " --devices mpi --lr 0.2");
    EXPECT_NE(result.exitCode, 0);
    EXPECT_THAT(result.err, HasSubstr("rank 1 (host "));
    EXPECT_THAT(result.err, HasSubstr("would train with --lr '0.200000', rank 0 (host "));
    EXPECT_THAT(result.err, HasSubstr("with '0.050000'"));
    EXPECT_THAT(result.out, Not(HasSubstr("weights digest")));
}

TEST_F(TrainMpiCli, OnlyRankZeroReadsTheDataSet)
{
    // gpt-mini on `--dataset text`, the corpus $LPM_TEXT_CORPUS names: rank
    // 1's names no file, so the job trains only if rank 0 alone reads it
    // (and sends it over): to sequential's weights in one process.
    const fs::path corpus = path("corpus.txt");
    {
        std::ofstream text(corpus);
        for (int i = 0; i < 400; ++i)
            text << "stage " << i % 7 << " sends its activations on and waits for gradients. ";
    }
    const std::string training = "train --model gpt-mini --dataset text --steps 2 --batch 4 --micro-batches 2 "
                                 "--no-eval --quiet";
    const fs::path sequential = path("sequential-text.json"), acrossRanks = path("ranks-text.json");
    const RunResult one = shell("LPM_TEXT_CORPUS=" + quote(corpus) + " " + quote(LPM_BINARY) + " " + training
                                + " --json " + quote(sequential));
    ASSERT_EQ(one.exitCode, 0) << one.err;
    const std::string rank =
        quote(LPM_BINARY) + " " + training + " --devices mpi --schedule 1f1b --partitioner balanced";
    const RunResult two =
        mpirun("-np 1 -x LPM_TEXT_CORPUS=" + quote(corpus) + " " + rank + " --json " + quote(acrossRanks)
               + " : -np 1 -x LPM_TEXT_CORPUS=" + quote(path("no-such-corpus.txt")) + " " + rank);
    ASSERT_EQ(two.exitCode, 0) << two.err;
    EXPECT_EQ(digestIn(acrossRanks), digestIn(sequential));
    // Without it, rank 0 names the file it could not read, and the job ends.
    const RunResult missing = mpirun("-np 2 -x LPM_TEXT_CORPUS=" + quote(path("no-such-corpus.txt")) + " " + rank);
    EXPECT_NE(missing.exitCode, 0);
    EXPECT_THAT(missing.err, testing::ContainsRegex("lpm: rank 0 of 2 \\(host [^)]+\\): .*no-such-corpus.txt"));
}

TEST_F(TrainMpiCli, OutsideAJobOfTwoRanksOrWithWhatIsNotAvailableYetItSaysWhatToDo)
{
    const RunResult alone = lpm(common() + " --devices mpi");
    EXPECT_NE(alone.exitCode, 0);
    EXPECT_THAT(alone.err, HasSubstr("this job has 1 rank: start it as mpirun -np P lpm train"));
    const RunResult compared = mpiLpm(2, common() + " --devices mpi --compare-sequential");
    EXPECT_NE(compared.exitCode, 0);
    EXPECT_THAT(compared.err, HasSubstr("--compare-sequential with --devices mpi is not available yet"));
    // Costs where the cnn's second convolution does all the work and nothing
    // is updated: one stage is as fast as any cut, and faster than a cut
    // whose links cost time, whatever links the 4 ranks measure, so the lpm
    // partitioner merges (with the example's own costs its choice between 3
    // and 4 stages turned on how fast the loopback measured).
    json costs = readJson(exampleCnnCosts());
    json& device = costs.at("devices").at(0);
    for (const char* pass : {"forward_ms", "backward_ms"}) {
        for (json& milliseconds : device.at(pass))
            milliseconds = 0.0;
        device.at(pass).at(3) = 50.0; // unit 3: Conv2d #2
    }
    device.at("update_seconds_per_parameter") = 0.0;
    const fs::path dominated = path("one-conv-dominates.json");
    std::ofstream(dominated) << costs.dump();
    const RunResult merged = mpiLpm(4, training() + " --costs " + quote(dominated)
                                           + " --no-eval --quiet --devices mpi --schedule lpm --partitioner lpm");
    EXPECT_NE(merged.exitCode, 0);
    EXPECT_THAT(merged.err, testing::ContainsRegex("the lpm plan for 4 ranks runs [1-3] stages? on [1-3] of them "
                                                   "\\(fewer devices communicate less\\): start the job with "
                                                   "mpirun -np [1-3], or plan with --partitioner balanced"));
    const RunResult onGpu = mpiLpm(2, common() + " --devices mpi --backend cuda");
    EXPECT_NE(onGpu.exitCode, 0);
    EXPECT_THAT(onGpu.err, HasSubstr("--backend cuda (GPU stages across ranks, over NCCL) with --devices mpi is not "
                                     "available yet"));
    const RunResult exported = mpiLpm(2, common() + " --devices mpi --export-onnx " + quote(path("out.onnx")));
    EXPECT_NE(exported.exitCode, 0);
    EXPECT_THAT(exported.err, HasSubstr("--export-onnx with --devices mpi is not available yet"));
    EXPECT_FALSE(fs::exists(path("out.onnx")));
}

} // namespace
} // namespace lpm::testing_cli
