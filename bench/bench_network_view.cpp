// The studio's network view and units panel at scale: how long a model takes
// to appear once chosen (its import, plan, prediction, blocks and table), one step of
// a dragged cut (the edit, its prediction, the view and the table following
// it), and one frame of scrolling along the row, a block at a time, both as
// shipped (blocks painted through a pixel cache) and with the cache off, side
// by side. Frames are painted by the offscreen platform's raster engine, as
// on a machine without a GPU; medians and 95th percentiles of each.
//
//   QT_QPA_PLATFORM=offscreen bench_network_view [--models vgg-mini,PATH.onnx,...] [--frames 200]
//
// A zoo name is planned on a bundled example's catalogue devices (vgg-mini's,
// or GPT-2 XL's for a language model); an ONNX path is imported into it
// (needs a build with ONNX import). Default: vgg-mini
// and the ONNX fixtures resnet50-structure, gpt2-small-structure and
// mlp-deep-structure (304 units).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <QApplication>
#include <QGraphicsItem>
#include <QScrollBar>

#include "graph/onnx_reader.h"
#include "main_window.h"
#include "network_items.h"
#include "network_view.h"

namespace {

using Clock = std::chrono::steady_clock;

double millisecondsSince(Clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct Spread {
    double median = 0.0, p95 = 0.0;
};

Spread spreadOf(std::vector<double> samples)
{
    if (samples.empty())
        return {};
    std::sort(samples.begin(), samples.end());
    return {samples[samples.size() / 2], samples[std::min(samples.size() - 1, samples.size() * 95 / 100)]};
}

// Paints `frames` frames, scrolling the row a block further before each
// (back to the start at its end); the milliseconds of each.
std::vector<double> scrollFrames(lpm::gui::NetworkView& view, int frames)
{
    QScrollBar* bar = view.horizontalScrollBar();
    const int pitch = int(lpm::gui::NetworkView::gapX(1) - lpm::gui::NetworkView::gapX(0));
    bar->setValue(bar->minimum());
    std::vector<double> times;
    for (int frame = 0; frame < frames; ++frame) {
        bar->setValue(bar->value() + pitch >= bar->maximum() ? bar->minimum() : bar->value() + pitch);
        const Clock::time_point start = Clock::now();
        view.viewport()->repaint();
        times.push_back(millisecondsSince(start));
    }
    return times;
}

void setBlockCache(lpm::gui::NetworkView& view, QGraphicsItem::CacheMode mode)
{
    for (QGraphicsItem* item : view.scene()->items())
        if (dynamic_cast<lpm::gui::UnitBlock*>(item))
            item->setCacheMode(mode);
}

} // namespace

int main(int argc, char** argv)
{
    QApplication application(argc, argv);
    CLI::App app("The studio's network view at scale", "bench_network_view");
    std::vector<std::string> models = {"vgg-mini"};
    if (lpm::onnxImportAvailable())
        for (const char* fixture : {"resnet50-structure", "gpt2-small-structure", "mlp-deep-structure"})
            models.push_back(std::string(LPM_SOURCE_DIR) + "/tests/data/onnx/" + fixture + ".onnx");
    int frames = 200;
    app.add_option("--models", models, "Zoo names or ONNX paths")->delimiter(',');
    app.add_option("--frames", frames, "Scrolled frames per measurement")
        ->check(CLI::Range(10, 100000))
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    std::printf("%-26s %6s %9s %14s %22s %22s %7s\n", "model", "units", "open ms", "drag step ms", "frame ms, cached",
                "frame ms, no cache", "ratio");
    std::printf("%-26s %6s %9s %14s %22s %22s %7s\n", "", "", "", "median", "median / p95", "median / p95", "");
    for (const std::string& model : models) {
        lpm::gui::MainWindow window;
        window.setPromptOnClose(false);
        window.resize(1280, 860);
        window.show();
        QApplication::processEvents();
        const bool onnx = model.size() > 5 && model.ends_with(".onnx");
        // An image model on the vgg-mini example's devices, a language model on GPT-2 XL's.
        const bool text = lpm::gui::DesignModel::isLanguageModel(model);
        bool ok =
            window.openDesign(text ? ":/examples/gpt2-xl-h100x8.lpm.json" : ":/examples/vgg-mini-a100-v100.lpm.json");
        QApplication::processEvents();
        const Clock::time_point opened = Clock::now();
        if (ok)
            ok = onnx ? window.importOnnxModel(QString::fromStdString(model))
                      : window.designModel()->setModel(QString::fromStdString(model));
        QApplication::processEvents();
        const double openMs = millisecondsSince(opened);
        if (!ok) {
            std::fprintf(stderr, "bench_network_view: %s could not be opened\n", model.c_str());
            return 1;
        }
        lpm::gui::DesignModel& design = *window.designModel();
        lpm::gui::NetworkView& view = *window.networkView();

        // Drag the first cut a unit right and back, 21 times each way.
        std::vector<double> drags;
        const int first = design.plan().stages.size() > 1 ? design.plan().stages[1].first : -1;
        const bool movable = first >= 0 && design.plan().stages[1].last > first;
        for (int step = 0; movable && step < 42; ++step) {
            const Clock::time_point start = Clock::now();
            design.moveCut(1, step % 2 == 0 ? first + 1 : first, 1);
            drags.push_back(millisecondsSince(start));
        }

        scrollFrames(view, frames); // fills the blocks' caches
        const Spread cached = spreadOf(scrollFrames(view, frames));
        setBlockCache(view, QGraphicsItem::NoCache);
        const Spread uncached = spreadOf(scrollFrames(view, frames));
        const std::string name = model.substr(model.find_last_of('/') + 1);
        std::printf("%-26s %6zu %9.1f %14.2f %10.2f / %9.2f %10.2f / %9.2f %6.2fx\n", name.c_str(),
                    design.outline().units.size(), openMs, spreadOf(drags).median, cached.median, cached.p95,
                    uncached.median, uncached.p95, uncached.median / std::max(cached.median, 1e-9));
    }
    return 0;
}
