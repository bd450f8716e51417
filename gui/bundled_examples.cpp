#include "bundled_examples.h"

#include <QCoreApplication>

namespace lpm::gui {

namespace {

struct ExampleText {
    const char* file;
    const char* title; // source strings, translated in the "BundledExamples" context
    const char* summary;
};

// The figures are what docs/BENCHMARKS.md records on a 2-core machine.
constexpr ExampleText kExamples[] = {
    {"resnet-flat-2-cpu.lpm.json", QT_TRANSLATE_NOOP("BundledExamples", "resnet-flat on two CPU cores (lpm)"),
     QT_TRANSLATE_NOOP("BundledExamples",
                       "A cut that balances: eight equal residual blocks, four per core, train about 1.7x faster "
                       "than on one core, with weights identical to sequential training.")},
    {"cnn-2-cpu.lpm.json", QT_TRANSLATE_NOOP("BundledExamples", "cnn on two CPU cores (lpm): a cut that cannot pay"),
     QT_TRANSLATE_NOOP("BundledExamples", "One convolution holds most of the work, so no two-stage "
                                          "cut passes about 1.2x; the planner "
                                          "says so and suggests dp.")},
    {"cnn-dp-2-cpu.lpm.json", QT_TRANSLATE_NOOP("BundledExamples", "cnn data parallel on two CPU cores (dp)"),
     QT_TRANSLATE_NOOP("BundledExamples",
                       "Each core holds the whole model and trains half of each mini-batch; gradients are summed "
                       "every step: about 2x where a cut cannot balance.")},
    {"gpt-mini-2-cpu.lpm.json", QT_TRANSLATE_NOOP("BundledExamples", "gpt-mini on two CPU cores (lpm)"),
     QT_TRANSLATE_NOOP("BundledExamples",
                       "A byte-level GPT learns the Jargon File: embeddings and two blocks on one core, two blocks "
                       "and the head on the other, about 1.6x faster than one core; samples of its text as it "
                       "learns.")},
    {"vgg-mini-a100-v100.lpm.json", QT_TRANSLATE_NOOP("BundledExamples", "vgg-mini on A100s and V100s: a what-if plan"),
     QT_TRANSLATE_NOOP("BundledExamples",
                       "Catalogue GPUs of two speeds, simulated: lpm gives the faster GPUs more layers. Planning "
                       "only; training needs this machine's devices.")},
    {"gpt2-xl-h100x8.lpm.json", QT_TRANSLATE_NOOP("BundledExamples", "gpt2-xl on eight H100s: a what-if plan"),
     QT_TRANSLATE_NOOP("BundledExamples",
                       "GPT-2 XL (1.6 billion parameters, AdamW) cut into eight stages of six or seven blocks: "
                       "memory per stage against 80 GB, predicted about 5x; planning only.")},
};

QString resourcePath(const ExampleText& text)
{
    return QStringLiteral(":/examples/") + QLatin1String(text.file);
}

} // namespace

QVector<BundledExample> bundledExamples()
{
    QVector<BundledExample> examples;
    for (const ExampleText& text : kExamples)
        examples.push_back({resourcePath(text), QCoreApplication::translate("BundledExamples", text.title),
                            QCoreApplication::translate("BundledExamples", text.summary)});
    return examples;
}

QString defaultExamplePath()
{
    return resourcePath(kExamples[0]);
}

} // namespace lpm::gui
