#include "device_tree_model.h"

#include <algorithm>
#include <utility>

#include <QBrush>
#include <QColor>
#include <QStringList>

#include "devices/device_catalog.h"
#include "devices/device_set.h"

namespace lpm::gui {

namespace {

constexpr int kGroups = 3;
constexpr int kColumns = 2; // device, details

// An index's internal id: 0 for a group row, 1 + its group for a device row.
constexpr quintptr kGroupRow = 0;

} // namespace

DeviceChecks checksOfSpec(const std::string& spec)
{
    DeviceChecks checks;
    if (spec.empty())
        return checks;
    for (const DeviceSlot& slot : parseDeviceSet(spec).stageSlots) {
        checks.cores += slot.kind == DeviceKind::Cpu;
        if (slot.kind == DeviceKind::Cuda && !checks.gpus.contains(slot.ordinal)) {
            checks.gpus.append(slot.ordinal);
            checks.gpuStages = checks.gpuStages > 0 ? checks.gpuStages : slot.sharedBy;
        }
    }
    // Catalogue terms as written, one row each ("catalog:H100x4"; slots do not keep the grouping).
    for (const QString& item : QString::fromStdString(spec).split(',', Qt::SkipEmptyParts)) {
        const QString text = item.trimmed();
        if (text.startsWith("catalog:")) {
            const QString rest = text.mid(8);
            const qsizetype times = rest.lastIndexOf('x');
            const bool counted = times > 0 && rest.mid(times + 1).toInt() > 0;
            checks.catalog.append({counted ? rest.left(times) : rest, counted ? rest.mid(times + 1).toInt() : 1});
        }
    }
    return checks;
}

DeviceTreeModel::DeviceTreeModel(HostDevices host, QObject* parent)
    : QAbstractItemModel(parent), host_(std::move(host)), coreChecks_(size_t(std::max(host_.cpuCores, 0))),
      gpuChecks_(host_.gpu.gpus.size())
{
}

QModelIndex DeviceTreeModel::groupIndex(Group group) const
{
    return createIndex(int(group), 0, kGroupRow);
}

QModelIndex DeviceTreeModel::index(int row, int column, const QModelIndex& parent) const
{
    if (row < 0 || column < 0 || column >= kColumns || row >= rowCount(parent))
        return {};
    return parent.isValid() ? createIndex(row, column, quintptr(1 + parent.row()))
                            : createIndex(row, column, kGroupRow);
}

QModelIndex DeviceTreeModel::parent(const QModelIndex& index) const
{
    if (!index.isValid() || index.internalId() == kGroupRow)
        return {};
    return groupIndex(Group(index.internalId() - 1));
}

int DeviceTreeModel::rowCount(const QModelIndex& parent) const
{
    if (!parent.isValid())
        return kGroups;
    if (parent.internalId() != kGroupRow || parent.column() != 0)
        return 0; // device rows have no children
    switch (Group(parent.row())) {
    case Machine:
        return int(coreChecks_.size());
    case Gpus:
        return int(gpuChecks_.size());
    case Catalogue:
        return int(catalog_.size());
    }
    return 0;
}

int DeviceTreeModel::columnCount(const QModelIndex&) const
{
    return kColumns;
}

Qt::ItemFlags DeviceTreeModel::flags(const QModelIndex& index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    const Qt::ItemFlags flags = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    return index.internalId() == kGroupRow ? flags : flags | Qt::ItemIsUserCheckable;
}

QVariant DeviceTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    return section == 0 ? tr("Device") : section == 1 ? tr("Details") : QVariant();
}

QVariant DeviceTreeModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid())
        return {};
    if (index.internalId() == kGroupRow)
        return groupData(Group(index.row()), index.column(), role);
    return deviceData(Group(index.internalId() - 1), index.row(), index.column(), role);
}

QVariant DeviceTreeModel::groupData(Group group, int column, int role) const
{
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    const bool tip = role == Qt::ToolTipRole;
    switch (group) {
    case Machine:
        if (tip)
            return column == 1
                       ? QVariant(QString::fromStdString(host_.blasKernelDetail) + "\n"
                                  + tr("convolutions: %1").arg(QString::fromStdString(host_.convolutionKernels)))
                       : QVariant();
        return column == 0 ? tr("This machine")
                           : tr("%1, %2 usable cores, %3 GiB, BLAS kernel %4")
                                 .arg(QString::fromStdString(host_.cpuName))
                                 .arg(host_.cpuCores)
                                 .arg(double(host_.memoryBytes) / double(1 << 30), 0, 'f', 1)
                                 .arg(QString::fromStdString(host_.blasKernel));
    case Gpus:
        if (column == 0)
            return tip ? QVariant() : QVariant(tr("GPUs"));
        // The same text as its tooltip: a long reason does not fit the column.
        return !host_.gpu.gpus.empty() ? QString::fromStdString(host_.gpu.status)
                                       : tr("No GPU can be used here (%1). LPM Studio plans and "
                                            "trains on the CPU cores; add catalogue GPUs below to "
                                            "plan for them.")
                                             .arg(QString::fromStdString(host_.gpu.status));
    case Catalogue:
        if (tip)
            return {};
        return column == 0 ? tr("Catalogue (simulated)") : tr("what-if planning with data-sheet figures");
    }
    return {};
}

QVariant DeviceTreeModel::deviceData(Group group, int row, int column, int role) const
{
    if (role == Qt::CheckStateRole)
        return column == 0 ? QVariant(isChecked(group, row) ? Qt::Checked : Qt::Unchecked) : QVariant();
    switch (group) {
    case Machine:
        if (role != Qt::DisplayRole)
            return {};
        return column == 0 ? tr("CPU core %1").arg(row) : tr("one pipeline stage, one thread");
    case Gpus: {
        const GpuDevice& gpu = host_.gpu.gpus[size_t(row)];
        if (role == Qt::ToolTipRole && column == 0)
            return tr("Train on this GPU: each pipeline stage gets a CUDA stream of its own; "
                      "with several GPUs checked, activations pass between them by peer copies.");
        if (role != Qt::DisplayRole)
            return {};
        if (column == 0)
            return tr("GPU %1: %2").arg(gpu.index).arg(QString::fromStdString(gpu.name));
        QStringList peers;
        for (size_t j = 0; j < host_.gpu.gpus.size(); ++j)
            if (host_.gpu.peerAccess[size_t(row)][j])
                peers << QString::number(j);
        return tr("%1 GiB, %2 multiprocessors, compute %3.%4, %5 MHz, peer access: %6")
            .arg(double(gpu.memoryBytes) / double(1 << 30), 0, 'f', 1)
            .arg(gpu.multiprocessors)
            .arg(gpu.computeMajor)
            .arg(gpu.computeMinor)
            .arg(gpu.clockKHz / 1000)
            .arg(peers.isEmpty() ? tr("none") : peers.join(", "));
    }
    case Catalogue: {
        const CatalogEntry& entry = catalog_[size_t(row)];
        if (column == 0 && role == CatalogIdRole)
            return entry.id;
        if (column == 0 && role == CatalogCountRole)
            return entry.count;
        if (column == 0 && role == Qt::ForegroundRole)
            return QBrush(QColor(0x80, 0x50, 0xa0)); // simulated: not this machine's
        if (role != Qt::DisplayRole)
            return {};
        return column == 0 ? tr("%1 × %2 (simulated)").arg(entry.id).arg(entry.count)
                           : tr("%1, %2 GB").arg(entry.fullName).arg(double(entry.memoryBytes) / 1e9, 0, 'f', 0);
    }
    }
    return {};
}

bool DeviceTreeModel::setData(const QModelIndex& index, const QVariant& value, int role)
{
    if (!index.isValid() || index.internalId() == kGroupRow || index.column() != 0 || role != Qt::CheckStateRole)
        return false;
    const Group group = Group(index.internalId() - 1);
    const bool checked = value.toInt() == Qt::Checked;
    if (checked == isChecked(group, index.row()))
        return true;
    setChecked(group, index.row(), checked);
    emit dataChanged(index, index, {Qt::CheckStateRole});
    emit checksEdited();
    return true;
}

bool DeviceTreeModel::isChecked(Group group, int row) const
{
    switch (group) {
    case Machine:
        return coreChecks_[size_t(row)];
    case Gpus:
        return gpuChecks_[size_t(row)];
    case Catalogue:
        return catalog_[size_t(row)].checked;
    }
    return false;
}

void DeviceTreeModel::setChecked(Group group, int row, bool checked)
{
    switch (group) {
    case Machine:
        coreChecks_[size_t(row)] = checked;
        break;
    case Gpus:
        gpuChecks_[size_t(row)] = checked;
        break;
    case Catalogue:
        catalog_[size_t(row)].checked = checked;
        break;
    }
}

QString DeviceTreeModel::deviceSpec(int stagesPerGpu) const
{
    QStringList items;
    const auto cores = std::count(coreChecks_.begin(), coreChecks_.end(), true);
    if (cores > 0)
        items << QString("cpu:%1").arg(cores);
    for (size_t i = 0; i < gpuChecks_.size(); ++i)
        if (gpuChecks_[i])
            items << QString("cuda:%1x%2").arg(host_.gpu.gpus[i].index).arg(stagesPerGpu);
    for (const CatalogEntry& entry : catalog_)
        if (entry.checked)
            items << QString("catalog:%1x%2").arg(entry.id).arg(entry.count);
    return items.join(',');
}

void DeviceTreeModel::checksChanged(Group group)
{
    const QModelIndex parent = groupIndex(group);
    const int rows = rowCount(parent);
    if (rows > 0)
        emit dataChanged(index(0, 0, parent), index(rows - 1, 0, parent), {Qt::CheckStateRole});
}

void DeviceTreeModel::showChecks(const DeviceChecks& checks)
{
    // Each catalogue term checks the first row of its id and count not yet
    // checked by another; a term without one adds its row.
    std::vector<bool> catalogWanted(catalog_.size(), false);
    QList<QPair<QString, int>> missing;
    for (const auto& [id, count] : checks.catalog) {
        size_t row = 0;
        while (row < catalog_.size()
               && (catalogWanted[row] || catalog_[row].count != count
                   || catalog_[row].id.compare(id, Qt::CaseInsensitive) != 0))
            ++row;
        if (row < catalog_.size())
            catalogWanted[row] = true;
        else
            missing.append({id, count});
    }
    // Only the groups whose checks change tell the views.
    auto show = [this](Group group, const std::vector<bool>& wanted) {
        bool changed = false;
        for (size_t row = 0; row < wanted.size(); ++row)
            if (isChecked(group, int(row)) != wanted[row]) {
                setChecked(group, int(row), wanted[row]);
                changed = true;
            }
        if (changed)
            checksChanged(group);
    };
    std::vector<bool> coresWanted(coreChecks_.size());
    for (size_t core = 0; core < coresWanted.size(); ++core)
        coresWanted[core] = int(core) < checks.cores;
    std::vector<bool> gpusWanted(gpuChecks_.size());
    for (size_t gpu = 0; gpu < gpusWanted.size(); ++gpu)
        gpusWanted[gpu] = checks.gpus.contains(host_.gpu.gpus[gpu].index);
    show(Machine, coresWanted);
    show(Gpus, gpusWanted);
    show(Catalogue, catalogWanted);
    for (const auto& [id, count] : missing)
        addCatalogEntry(id, count, true);
}

QModelIndex DeviceTreeModel::addCatalogEntry(const QString& id, int count, bool checked)
{
    const DeviceModel& device = catalogDevice(id.toStdString()); // throws for an unknown id
    const int row = int(catalog_.size());
    beginInsertRows(groupIndex(Catalogue), row, row);
    catalog_.push_back({id, count, checked, QString::fromStdString(device.fullName), device.memoryBytes});
    endInsertRows();
    return index(row, 0, groupIndex(Catalogue));
}

bool DeviceTreeModel::removeCatalogEntry(const QModelIndex& index)
{
    if (!index.isValid() || index.internalId() != quintptr(1 + Catalogue))
        return false;
    beginRemoveRows(groupIndex(Catalogue), index.row(), index.row());
    catalog_.erase(catalog_.begin() + index.row());
    endRemoveRows();
    return true;
}

void DeviceTreeModel::retranslate()
{
    emit headerDataChanged(Qt::Horizontal, 0, kColumns - 1);
    emit dataChanged(index(0, 0), index(kGroups - 1, kColumns - 1));
    for (int group = 0; group < kGroups; ++group) {
        const QModelIndex parent = groupIndex(Group(group));
        const int rows = rowCount(parent);
        if (rows > 0)
            emit dataChanged(index(0, 0, parent), index(rows - 1, kColumns - 1, parent));
    }
}

} // namespace lpm::gui
