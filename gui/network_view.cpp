#include "network_view.h"

#include <algorithm>
#include <cmath>

#include <QContextMenuEvent>
#include <QGraphicsRectItem>
#include <QGraphicsSimpleTextItem>
#include <QMenu>
#include <QMouseEvent>
#include <QScrollBar>
#include <QTimer>
#include <QWheelEvent>

#include "design_model.h"
#include "network_items.h"
#include "unit_table_model.h"

namespace lpm::gui {

namespace {

constexpr double kGap = 26.0; // between blocks, where the handles sit
constexpr double kPitch = UnitBlock::width + kGap;
constexpr double kBandTop = -46.0; // the stage band above the blocks

QString formatCount(double value)
{
    if (value >= 1e6)
        return QString::number(value / 1e6, 'f', 2) + "M";
    if (value >= 1e3)
        return QString::number(value / 1e3, 'f', 1) + "k";
    return QString::number(value, 'f', 0);
}

} // namespace

NetworkView::NetworkView(DesignModel* model, QWidget* parent)
    : QGraphicsView(parent), model_(model), scene_(new QGraphicsScene(this))
{
    setScene(scene_);
    setRenderHint(QPainter::Antialiasing);
    setDragMode(QGraphicsView::NoDrag);
    setAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    setMinimumHeight(UnitBlock::height + 110);
    connect(model_, &DesignModel::designChanged, this, &NetworkView::refresh);
    refresh();
}

QColor NetworkView::stageColour(int stage)
{
    static const QColor palette[] = {QColor(0x4c, 0x78, 0xa8), QColor(0xf5, 0x85, 0x18), QColor(0x54, 0xa2, 0x4b),
                                     QColor(0xe4, 0x57, 0x56), QColor(0x72, 0xb7, 0xb2), QColor(0xb2, 0x79, 0xa2),
                                     QColor(0xee, 0xca, 0x3b), QColor(0x9d, 0x75, 0x5d)};
    return palette[std::max(0, stage) % 8];
}

double NetworkView::gapX(int gap)
{
    return gap * kPitch - kGap / 2.0;
}

int NetworkView::gapAt(double sceneX) const
{
    const int gap = int(std::lround((sceneX + kGap / 2.0) / kPitch));
    return std::clamp(gap, 0, model_->unitCount());
}

void NetworkView::rebuildBlocks()
{
    for (UnitBlock* block : blocks_)
        delete block;
    blocks_.clear();
    found_ = -1;
    const ModelOutline& outline = model_->outline();
    for (size_t unit = 0; unit < outline.units.size(); ++unit) {
        const UnitOutline& part = outline.units[unit];
        QStringList lines{QString("%1  %2").arg(unit).arg(QString::fromStdString(part.kind)),
                          QString::fromStdString(part.description),
                          tr("out %1").arg(QString::fromStdString(part.outputShape)),
                          tr("%1 params").arg(formatCount(double(part.cost.parameterBytes) / 4.0)),
                          tr("%1 MFLOP fwd").arg(part.cost.forwardFlops / 1e6, 0, 'f', 3)};
        QString tip = lines.join('\n');
        if (!part.nodes.empty()) // an imported unit: its ONNX nodes
            tip += "\n" + UnitTableModel::nodeListText(part.nodes);
        QStringList nodeLines;
        for (const std::string& node : part.nodes)
            nodeLines << QString::fromStdString(node);
        auto* block = new UnitBlock(int(unit), lines, tip, nodeLines);
        block->setPos(double(unit) * kPitch, 0.0);
        scene_->addItem(block);
        blocks_.push_back(block);
    }
    shownModel_ = outline.name;
}

int NetworkView::findUnit(const QString& text)
{
    const ModelOutline& outline = model_->outline();
    const int count = int(std::min(outline.units.size(), blocks_.size()));
    auto matches = [&](int unit) {
        const UnitOutline& part = outline.units[size_t(unit)];
        auto has = [&](const std::string& field) {
            return QString::fromStdString(field).contains(text, Qt::CaseInsensitive);
        };
        return has(part.kind) || has(part.description) || std::any_of(part.nodes.begin(), part.nodes.end(), has);
    };
    const int start = found_ + 1;
    int match = -1;
    for (int step = 0; step < count && !text.isEmpty() && match < 0; ++step)
        if (matches((start + step) % count))
            match = (start + step) % count;
    highlight(match);
    return found_;
}

void NetworkView::highlight(int unit)
{
    if (found_ >= 0 && found_ < int(blocks_.size()))
        blocks_[size_t(found_)]->setHighlighted(false);
    found_ = unit >= 0 && unit < int(blocks_.size()) ? unit : -1;
    if (found_ >= 0) {
        blocks_[size_t(found_)]->setHighlighted(true);
        ensureVisible(blocks_[size_t(found_)]->mapRectToScene(QRectF(0, 0, UnitBlock::width, UnitBlock::height)));
    }
}

void NetworkView::showUnit(int unit)
{
    highlight(unit);
}

void NetworkView::setUnitExpanded(int unit, bool expanded)
{
    if (unit < 0 || unit >= int(blocks_.size()))
        return;
    blocks_[size_t(unit)]->setExpanded(expanded);
    fitSceneRect();
}

bool NetworkView::unitExpanded(int unit) const
{
    return unit >= 0 && unit < int(blocks_.size()) && blocks_[size_t(unit)]->expanded();
}

double NetworkView::zoom() const
{
    return transform().m11();
}

void NetworkView::setZoom(double zoom)
{
    const double clamped = std::clamp(zoom, 0.25, 1.5);
    setTransform(QTransform::fromScale(clamped, clamped));
}

UnitBlock* NetworkView::blockAt(const QPoint& viewPosition) const
{
    QGraphicsItem* item = itemAt(viewPosition);
    while (item && item->parentItem())
        item = item->parentItem();
    return dynamic_cast<UnitBlock*>(item);
}

void NetworkView::mousePressEvent(QMouseEvent* event)
{
    if (UnitBlock* block = blockAt(event->pos()); block && event->button() == Qt::LeftButton)
        emit unitClicked(block->unit());
    QGraphicsView::mousePressEvent(event);
}

void NetworkView::mouseDoubleClickEvent(QMouseEvent* event)
{
    if (UnitBlock* block = blockAt(event->pos()); block && block->expandable()) {
        setUnitExpanded(block->unit(), !block->expanded());
        event->accept();
        return;
    }
    QGraphicsView::mouseDoubleClickEvent(event);
}

void NetworkView::wheelEvent(QWheelEvent* event)
{
    const QPoint steps = event->angleDelta();
    if (event->modifiers() & Qt::ControlModifier) {
        setZoom(zoom() * std::pow(1.15, double(steps.y()) / 120.0));
        event->accept();
        return;
    }
    // The row is wide and short: a vertical wheel scrolls it sideways, a
    // block per notch, unless there is something to scroll down to (an
    // expanded block).
    if (std::abs(steps.y()) > std::abs(steps.x()) && verticalScrollBar()->maximum() == verticalScrollBar()->minimum()) {
        QScrollBar* bar = horizontalScrollBar();
        bar->setValue(bar->value() - int(std::lround(double(steps.y()) / 120.0 * kPitch * zoom())));
        event->accept();
        return;
    }
    QGraphicsView::wheelEvent(event);
}

void NetworkView::fitSceneRect()
{
    scene_->setSceneRect(scene_->itemsBoundingRect().adjusted(-12, -12, 12, 12));
}

void NetworkView::refresh()
{
    if (model_->outline().name != shownModel_ || blocks_.size() != model_->outline().units.size())
        rebuildBlocks();
    const Plan& plan = model_->plan();
    const Prediction& prediction = model_->prediction();
    const bool predicted = model_->predictionError().isEmpty();

    for (QGraphicsItem* item : stageBands_)
        delete item;
    stageBands_.clear();
    for (size_t s = 0; s < plan.stages.size(); ++s) {
        const PlannedStage& stage = plan.stages[s];
        if (stage.first < 0 || stage.last >= int(blocks_.size()))
            continue;
        const bool over = predicted && s < prediction.stages.size()
                          && prediction.stages[s].memoryBytes > prediction.stages[s].capacityBytes;
        // Profiled time of each unit on this stage's device, per micro-batch.
        std::vector<UnitTimes> times;
        if (size_t(stage.device) < plan.devices.size()
            && plan.costs.find(plan.devices[size_t(stage.device)].costsDevice))
            times = timesFor(plan.costs, plan.devices[size_t(stage.device)].costsDevice, plan.microBatchSize());
        for (int unit = stage.first; unit <= stage.last; ++unit) {
            blocks_[size_t(unit)]->setStage(int(s), over);
            if (size_t(unit) < times.size())
                blocks_[size_t(unit)]->setToolTipDetail(
                    tr("Unit %1 on %2: forward %3 ms, backward %4 ms per micro-batch of %5")
                        .arg(unit)
                        .arg(QString::fromStdString(plan.devices[size_t(stage.device)].label))
                        .arg(times[size_t(unit)].forwardSeconds * 1e3, 0, 'f', 3)
                        .arg(times[size_t(unit)].backwardSeconds * 1e3, 0, 'f', 3)
                        .arg(plan.microBatchSize()));
        }
        const double left = double(stage.first) * kPitch;
        const double right = double(stage.last) * kPitch + UnitBlock::width;
        auto* band = scene_->addRect(QRectF(left, kBandTop, right - left, 22.0), Qt::NoPen, stageColour(int(s)));
        QString caption = tr("stage %1 · %2")
                              .arg(s)
                              .arg(size_t(stage.device) < plan.devices.size()
                                       ? QString::fromStdString(plan.devices[size_t(stage.device)].label)
                                       : QString("?"));
        if (predicted && s < prediction.stages.size())
            caption +=
                tr(" · %1 ms/micro-batch")
                    .arg((prediction.stages[s].forwardSeconds + prediction.stages[s].backwardSeconds) * 1e3, 0, 'f', 2);
        if (over)
            caption += tr(" · over memory");
        auto* text = scene_->addSimpleText(caption);
        text->setBrush(Qt::white);
        text->setPos(left + 6.0, kBandTop + 3.0);
        stageBands_.push_back(band);
        stageBands_.push_back(text);
    }

    // Handles: reuse while dragging (the count cannot change during a drag).
    const int cuts = std::max(0, int(plan.stages.size()) - 1);
    if (int(handles_.size()) != cuts && dragging_ == nullptr) {
        for (CutHandle* handle : handles_)
            delete handle;
        handles_.clear();
        for (int stage = 1; stage <= cuts; ++stage) {
            auto* handle = new CutHandle(this, stage);
            scene_->addItem(handle);
            handles_.push_back(handle);
        }
    }
    placeHandles();

    delete notice_;
    notice_ = nullptr;
    if (model_->profilePending())
        notice_ =
            scene_->addSimpleText(tr("Profiling %1 on one core of this CPU…").arg(QString::fromStdString(plan.model)));
    if (notice_)
        notice_->setPos(0.0, UnitBlock::height + 12.0);
    fitSceneRect();
}

void NetworkView::placeHandles()
{
    const Plan& plan = model_->plan();
    for (size_t k = 0; k < handles_.size(); ++k)
        if (handles_[k] != dragging_ || !handles_[k]->isUnderMouse())
            if (k + 1 < plan.stages.size())
                handles_[k]->placeAt(plan.stages[k + 1].first);
}

void NetworkView::dragHandle(CutHandle* handle, int gap)
{
    if (dragging_ != handle) {
        dragging_ = handle;
        ++dragSerial_;
    }
    const Plan& plan = model_->plan();
    const int stage = handle->stage();
    if (size_t(stage) >= plan.stages.size())
        return;
    const int lowest = plan.stages[size_t(stage) - 1].first; // at or below: stage - 1 would be empty
    const int highest = plan.stages[size_t(stage)].last;     // above: stage would be empty
    const bool merging = gap <= lowest || gap > highest;
    handle->setMerging(merging);
    if (merging) {
        handle->placeAt(gap <= lowest ? lowest : highest + 1);
        return;
    }
    model_->moveCut(stage, gap, dragSerial_); // the prediction follows every step of the drag
    handle->placeAt(gap);
}

void NetworkView::dropHandle(CutHandle* handle, int gap)
{
    dragHandle(handle, gap);
    dragging_ = nullptr;
    const int stage = handle->stage();
    const Plan& plan = model_->plan();
    const bool merging = size_t(stage) < plan.stages.size()
                         && (gap <= plan.stages[size_t(stage) - 1].first || gap > plan.stages[size_t(stage)].last);
    handle->setMerging(false);
    if (merging) {
        // Merging deletes this handle: do it after the mouse event is over.
        QTimer::singleShot(0, model_, [model = model_, stage] { model->mergeStages(stage - 1); });
        return;
    }
    placeHandles();
}

void NetworkView::contextMenuEvent(QContextMenuEvent* event)
{
    QGraphicsItem* item = itemAt(event->pos());
    while (item && item->parentItem())
        item = item->parentItem();
    QMenu menu(this);
    if (auto* block = dynamic_cast<UnitBlock*>(item)) {
        const int unit = block->unit();
        if (block->expandable()) {
            QAction* nodes = menu.addAction(block->expanded() ? tr("Hide the ONNX nodes of unit %1").arg(unit)
                                                              : tr("Show the ONNX nodes of unit %1").arg(unit));
            connect(nodes, &QAction::triggered, this,
                    [this, unit, expanded = block->expanded()] { setUnitExpanded(unit, !expanded); });
            menu.addSeparator();
        }
        const int stage = model_->stageOfUnit(unit);
        const Plan& plan = model_->plan();
        QAction* split = menu.addAction(tr("Split stage %1 before unit %2").arg(stage).arg(unit));
        split->setEnabled(stage >= 0 && unit > plan.stages[size_t(stage)].first
                          && plan.stages.size() < plan.devices.size());
        connect(split, &QAction::triggered, this, [this, stage, unit] { model_->splitStage(stage, unit); });
        QAction* merge = menu.addAction(tr("Merge stage %1 with the next").arg(stage));
        merge->setEnabled(stage >= 0 && size_t(stage) + 1 < plan.stages.size());
        connect(merge, &QAction::triggered, this, [this, stage] { model_->mergeStages(stage); });
    } else if (auto* handle = dynamic_cast<CutHandle*>(item)) {
        const int stage = handle->stage();
        QAction* merge = menu.addAction(tr("Merge stages %1 and %2").arg(stage - 1).arg(stage));
        connect(merge, &QAction::triggered, this, [this, stage] { model_->mergeStages(stage - 1); });
    }
    menu.addSeparator();
    QAction* autoMerge = menu.addAction(tr("Auto-merge"));
    connect(autoMerge, &QAction::triggered, model_, &DesignModel::autoMerge);
    menu.exec(event->globalPos());
}

} // namespace lpm::gui
