// Terminal progress for long runs. On a terminal: one line redrawn in place
// with a bar, step counts, loss, throughput and ETA. Elsewhere (a pipe, a CI
// log): a plain line at every tenth of the run and at every evaluation.
#pragma once

#include <cstdio>
#include <string>

namespace lpm::cli {

struct ProgressLine {
    int64_t done = 0;
    int64_t total = 0;
    double elapsedSeconds = 0.0; // wall-clock time since the work started (for the ETA)
    std::string detail;          // e.g. "epoch 1  loss 0.412  2310 samples/s"
};

class ProgressBar {
public:
    // Writes to `stream`; redraws in place only when it is a terminal.
    explicit ProgressBar(FILE* stream);
    void update(const ProgressLine& line, bool important = false);
    // Ends the in-place line (if any) so later output starts on a fresh line.
    void finish();

private:
    FILE* stream_;
    bool terminal_;
    bool lineOpen_ = false;
    int64_t lastTenth_ = -1;
};

// "1:02:03" or "2:03" for a number of seconds.
std::string formatDuration(double seconds);

} // namespace lpm::cli
