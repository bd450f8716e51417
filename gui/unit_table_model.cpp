#include "unit_table_model.h"

#include <algorithm>

#include <QLocale>

#include "design_model.h"
#include "plan/cost_model.h"

namespace lpm::gui {

namespace {

constexpr size_t kListedNodes = 40; // in a tooltip; the rest are counted

} // namespace

UnitTableModel::UnitTableModel(DesignModel* design, QObject* parent) : QAbstractTableModel(parent), design_(design)
{
    connect(design_, &DesignModel::designChanged, this, &UnitTableModel::refresh);
    refresh();
}

int UnitTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : shownUnits_;
}

int UnitTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

std::vector<UnitTableModel::Placement> UnitTableModel::placements() const
{
    const Plan& plan = design_->plan();
    std::vector<Placement> result(design_->outline().units.size());
    for (size_t s = 0; s < plan.stages.size(); ++s) {
        const PlannedStage& stage = plan.stages[s];
        std::vector<UnitTimes> times; // per micro-batch, on the stage's device
        if (size_t(stage.device) < plan.devices.size()
            && plan.costs.find(plan.devices[size_t(stage.device)].costsDevice))
            times = timesFor(plan.costs, plan.devices[size_t(stage.device)].costsDevice, plan.microBatchSize());
        for (int unit = std::max(0, stage.first); unit <= stage.last && size_t(unit) < result.size(); ++unit) {
            result[size_t(unit)].stage = int(s);
            if (size_t(unit) < times.size())
                result[size_t(unit)].milliseconds =
                    (times[size_t(unit)].forwardSeconds + times[size_t(unit)].backwardSeconds) * 1e3;
        }
    }
    return result;
}

void UnitTableModel::refresh()
{
    const ModelOutline& outline = design_->outline();
    std::vector<Placement> now = placements();
    if (outline.name != shownModel_ || int(outline.units.size()) != shownUnits_) {
        beginResetModel();
        shownModel_ = outline.name;
        shownUnits_ = int(outline.units.size());
        placements_ = std::move(now);
        endResetModel();
        return;
    }
    if (now == placements_)
        return;
    placements_ = std::move(now);
    if (shownUnits_ > 0)
        emit dataChanged(index(0, Stage), index(shownUnits_ - 1, Milliseconds));
}

QString UnitTableModel::text(int row, int column) const
{
    const UnitOutline& unit = design_->outline().units[size_t(row)];
    const Placement& placement = placements_[size_t(row)];
    switch (column) {
    case Unit:
        return QString::number(row);
    case Kind:
        return QString::fromStdString(unit.kind);
    case Settings:
        return QString::fromStdString(unit.description);
    case Output:
        return QString::fromStdString(unit.outputShape);
    case Parameters:
        return QLocale().toString(unit.cost.parameterBytes / 4);
    case Flops:
        return QString::number(unit.cost.forwardFlops / 1e6, 'f', 3);
    case Stage:
        return placement.stage < 0 ? QString() : QString::number(placement.stage);
    case Milliseconds:
        return placement.milliseconds < 0.0 ? QString() : QString::number(placement.milliseconds, 'f', 3);
    case Nodes:
        return unit.nodes.empty() ? QString() : QString::number(unit.nodes.size());
    default:
        return {};
    }
}

QString UnitTableModel::nodeListText(const std::vector<std::string>& nodes)
{
    QStringList lines{tr("ONNX nodes:")};
    for (size_t node = 0; node < std::min(nodes.size(), kListedNodes); ++node)
        lines << "  " + QString::fromStdString(nodes[node]);
    if (nodes.size() > kListedNodes)
        lines << "  " + tr("… and %n more", nullptr, int(nodes.size() - kListedNodes));
    return lines.join('\n');
}

QVariant UnitTableModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= shownUnits_ || size_t(index.row()) >= design_->outline().units.size())
        return {};
    const int row = index.row();
    const UnitOutline& unit = design_->outline().units[size_t(row)];
    switch (role) {
    case Qt::DisplayRole:
        return text(row, index.column());
    case Qt::ToolTipRole:
        if (index.column() != Nodes)
            return text(row, index.column());
        return unit.nodes.empty() ? tr("A unit of the zoo's model: it has no ONNX nodes.") : nodeListText(unit.nodes);
    case Qt::TextAlignmentRole:
        return index.column() == Kind || index.column() == Settings || index.column() == Output
                   ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                   : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case SearchRole: {
        QStringList fields{QString::fromStdString(unit.kind), QString::fromStdString(unit.description)};
        for (const std::string& node : unit.nodes)
            fields << QString::fromStdString(node);
        return fields.join('\n');
    }
    case SortRole:
        switch (index.column()) {
        case Unit:
            return row;
        case Parameters:
            return qlonglong(unit.cost.parameterBytes / 4);
        case Flops:
            return unit.cost.forwardFlops;
        case Stage:
            return placements_[size_t(row)].stage;
        case Milliseconds:
            return placements_[size_t(row)].milliseconds;
        case Nodes:
            return qlonglong(unit.nodes.size());
        default:
            return text(row, index.column());
        }
    default:
        return {};
    }
}

QVariant UnitTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Unit:
            return tr("#");
        case Kind:
            return tr("Kind");
        case Settings:
            return tr("Settings");
        case Output:
            return tr("Output");
        case Parameters:
            return tr("Params");
        case Flops:
            return tr("MFLOP");
        case Stage:
            return tr("Stage");
        case Milliseconds:
            return tr("F+B ms");
        case Nodes:
            return tr("Nodes");
        default:
            return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Parameters:
            return tr("Trained parameters of the unit");
        case Flops:
            return tr("Forward MFLOP per sample (a multiply–add counts as 2)");
        case Stage:
            return tr("The pipeline stage that holds the unit");
        case Milliseconds:
            return tr("Forward plus backward per micro-batch on its stage's device, from the profile or the "
                      "catalogue");
        case Nodes:
            return tr("An imported unit's ONNX nodes (the names in each cell's tooltip)");
        default:
            return {};
        }
    }
    return {};
}

void UnitTableModel::retranslate()
{
    emit headerDataChanged(Qt::Horizontal, 0, ColumnCount - 1);
    if (shownUnits_ > 0)
        emit dataChanged(index(0, 0), index(shownUnits_ - 1, ColumnCount - 1), {Qt::ToolTipRole});
}

} // namespace lpm::gui
