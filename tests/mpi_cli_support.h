// CLI tests of MPI jobs on this machine's loopback (test_probe_links_cli,
// test_train_mpi_cli): skipped where the build has no MPI or mpirun is
// missing, and in sanitizer builds (MPI's processes are not run under the
// sanitizers yet; test_rank_pipeline runs the same pipeline on threads there).
#pragma once

#include "cli_test_support.h"
#include "dist/mpi_session.h"

namespace lpm::testing_cli {

class MpiCli : public Cli {
protected:
    void SetUp() override
    {
        if (!mpiBuilt())
            GTEST_SKIP() << mpiMissingHelp();
        if (std::system("command -v mpirun >/dev/null 2>&1") != 0)
            GTEST_SKIP() << "mpirun is not on PATH (Debian: openmpi-bin)";
#ifdef LPM_TESTS_SANITIZED
        GTEST_SKIP() << "MPI jobs are not run under the sanitizers yet";
#endif
        Cli::SetUp();
    }

    // `mpirun` with `arguments` (its own options, then the program and its
    // arguments, or several `-np N program ...` joined by ':'), over TCP on
    // the loopback as between machines (root is allowed: CI runs as root).
    RunResult mpirun(const std::string& arguments)
    {
        return shell("OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe --mca btl "
                     "tcp,self "
                     + arguments);
    }
    // `lpm ARGUMENTS` as `ranks` ranks of one job.
    RunResult mpiLpm(int ranks, const std::string& arguments)
    {
        return mpirun("-np " + std::to_string(ranks) + " " + quote(LPM_BINARY) + " " + arguments);
    }
};

} // namespace lpm::testing_cli
