#include "studio_terminal_job.h"

#include <cstdio>
#include <exception>

#include <QFile>

#include "backend/cpu/blas_kernel.h"
#include "bundled_examples.h"
#include "cli/progress_bar.h"
#include "train/design.h"
#include "train/text_metrics.h"
#include "train/training_data.h"

namespace lpm::studio {

int trainInTerminal(const QString& path, long long steps)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr, "lpm-studio: %s: cannot be read\n", qPrintable(path));
        return 1;
    }
    try {
        Design design = designFromJson(file.readAll().toStdString(), path.toStdString());
        if (steps > 0)
            design.training.steps = steps;
        const SessionRequest request = sessionRequestFor(design);
        std::fprintf(stderr,
                     "lpm-studio: no display, so the design runs in the terminal: %s on %s, %s "
                     "schedule, %zu stages\n",
                     design.plan.model.c_str(), design.plan.deviceSpec.c_str(), design.plan.schedule.c_str(),
                     design.plan.stages.size());
        for (const gui::BundledExample& example : gui::bundledExamples())
            if (example.path == path)
                std::fprintf(stderr, "  %s: %s\n", qPrintable(example.title), qPrintable(example.summary));
        std::fprintf(stderr, "  %s\n", blasKernelReport().describe().c_str());
        cli::ProgressBar bar(stderr);
        SessionEvents events;
        events.status = [&](const SessionStatus& status) {
            bar.finish();
            std::fprintf(stderr, "%s\n", status.text().c_str());
        };
        events.progress = [&](const SessionProgress& progress) {
            const TrainProgress& report = progress.progress;
            char detail[160];
            const int length =
                std::snprintf(detail, sizeof detail, "%sloss %.4f  %.0f samples/s",
                              progress.reference ? "reference  " : "", report.meanLoss, report.samplesPerSecond);
            if (report.subsetSize > 0 && length < int(sizeof detail))
                std::snprintf(detail + length, sizeof detail - size_t(length), "  subset acc %.4f",
                              report.subsetAccuracy);
            bar.update({report.step, report.totalSteps, report.wallSeconds, detail}, report.evaluated);
            if (report.subsetEvaluated && !report.sampleText.empty()) {
                bar.finish();
                std::fprintf(stderr, "  sample after step %lld: %s[%s]\n", static_cast<long long>(report.step),
                             oneLineText(report.samplePrompt).c_str(), oneLineText(report.sampleText).c_str());
            }
        };
        SessionControl control;
        const SessionResult result = runTrainingSession(request, events, control);
        bar.finish();
        std::printf("%lld steps in %.1f s of training (%.0f samples/s)", static_cast<long long>(result.summary.steps),
                    result.summary.trainingSeconds, result.summary.samplesPerSecond);
        if (result.summary.evaluated && modelTokens(design.plan.model) > 0)
            std::printf(", validation loss %.4f (%.3f bits per byte)", result.summary.testLoss,
                        bitsPerByte(result.summary.testLoss));
        else if (result.summary.evaluated)
            std::printf(", test accuracy %.4f", result.summary.testAccuracy);
        if (result.reference && result.summary.trainingSeconds > 0.0)
            std::printf("; speedup %.2fx over the sequential reference, weights %s",
                        result.reference->trainingSeconds / result.summary.trainingSeconds,
                        result.reference->weightsDigest == result.summary.weightsDigest ? "identical" : "differ");
        std::printf("\n");
        return 0;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "lpm-studio: %s\n", error.what());
        return 1;
    }
}

} // namespace lpm::studio
