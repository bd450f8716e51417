// The fixture of the end-to-end command-line tests: runs the built binary
// (LPM_BINARY) through the shell in a fresh temporary folder and captures its
// exit code, stdout and stderr.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

namespace lpm::testing_cli {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::HasSubstr;

struct RunResult {
    int exitCode = -1;
    std::string out;
    std::string err;
    double seconds = 0.0;

    // stderr split into lines (without their newlines).
    std::vector<std::string> errLines() const
    {
        std::vector<std::string> lines;
        std::istringstream in(err);
        for (std::string line; std::getline(in, line);)
            lines.push_back(line);
        return lines;
    }
};

inline std::string readFile(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Single-quotes `text` for the shell.
inline std::string quote(const std::string& text)
{
    std::string quoted = "'";
    for (char c : text) {
        if (c == '\'')
            quoted += "'\\''";
        else
            quoted += c;
    }
    return quoted + "'";
}

class Cli : public testing::Test {
protected:
    void SetUp() override
    {
        static int counter = 0;
        folder_ = fs::temp_directory_path()
                  / ("lpm-test-cli-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::remove_all(folder_);
        fs::create_directories(folder_);
        ASSERT_TRUE(fs::exists(LPM_BINARY)) << LPM_BINARY;
    }
    void TearDown() override
    {
        std::error_code error;
        fs::remove_all(folder_, error);
    }

    fs::path path(const std::string& name) const { return folder_ / name; }

    // Runs `lpm ARGUMENTS` (ARGUMENTS already shell-quoted where needed) with
    // stdout and stderr captured into files of the temp folder.
    RunResult lpm(const std::string& arguments) { return shell(quote(LPM_BINARY) + " " + arguments); }

    // Runs a shell command line (lpm under a launcher, say) the same way.
    RunResult shell(const std::string& commandLine)
    {
        const fs::path out = folder_ / ".stdout";
        const fs::path err = folder_ / ".stderr";
        const std::string command = commandLine + " >" + quote(out) + " 2>" + quote(err) + " </dev/null";
        const auto start = std::chrono::steady_clock::now();
        const int status = std::system(command.c_str());
        RunResult result;
        result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        result.out = readFile(out);
        result.err = readFile(err);
        fs::remove(out);
        fs::remove(err);
        return result;
    }

    // Expects a failure with exactly one line on stderr containing every part.
    void expectOneLineError(const RunResult& result, const std::vector<std::string>& parts)
    {
        EXPECT_NE(result.exitCode, 0);
        const std::vector<std::string> lines = result.errLines();
        ASSERT_EQ(lines.size(), 1u) << "stderr:\n" << result.err;
        for (const std::string& part : parts)
            EXPECT_THAT(lines[0], HasSubstr(part));
        EXPECT_THAT(lines[0], HasSubstr("lpm"));
    }

    json readJson(const fs::path& file)
    {
        const std::string text = readFile(file);
        EXPECT_FALSE(text.empty()) << file;
        return json::parse(text); // throws (failing the test) on invalid JSON
    }

    // The unit costs measured on one CPU core that the bundled example design
    // carries (cnn, micro-batch 16), written as a costs file for --costs: a
    // fixed source where a profile taken now would differ from run to run.
    fs::path exampleCnnCosts()
    {
        const fs::path design = fs::path(LPM_SOURCE_DIR) / "resources/examples/cnn-2-cpu.lpm.json";
        const fs::path costs = path("cnn-example-costs.json");
        std::ofstream(costs) << readJson(design).at("plan").at("costs").dump();
        return costs;
    }

    // Nothing but the given names in the temp folder.
    std::vector<std::string> entries() const
    {
        std::vector<std::string> names;
        for (const fs::directory_entry& entry : fs::directory_iterator(folder_))
            names.push_back(entry.path().filename().string());
        std::sort(names.begin(), names.end());
        return names;
    }

    fs::path folder_;
};

} // namespace lpm::testing_cli
