#include "devices_panel.h"

#include <algorithm>
#include <utility>

#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "design_model.h"
#include "devices/device_catalog.h"
#include "devices/device_set.h"

namespace lpm::gui {

namespace {
constexpr int kCatalogIdRole = Qt::UserRole + 1;
constexpr int kCatalogCountRole = Qt::UserRole + 2;
} // namespace

DevicesPanel::DevicesPanel(DesignModel* model, QWidget* parent) : QWidget(parent), model_(model)
{
    tree_ = new QTreeWidget(this);
    tree_->setColumnCount(2);
    tree_->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    machine_ = new QTreeWidgetItem(tree_);
    const HostDevices& host = model_->host();
    for (int core = 0; core < host.cpuCores; ++core) {
        auto* item = new QTreeWidgetItem(machine_);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(0, Qt::Unchecked);
    }
    gpus_ = new QTreeWidgetItem(tree_);
    for (size_t gpu = 0; gpu < host.gpu.gpus.size(); ++gpu) {
        auto* item = new QTreeWidgetItem(gpus_);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(0, Qt::Unchecked);
    }
    catalogue_ = new QTreeWidgetItem(tree_);
    tree_->expandAll();

    catalogChoice_ = new QComboBox(this);
    for (const DeviceModel& device : deviceCatalog())
        catalogChoice_->addItem(QString::fromStdString(device.id), QString::fromStdString(device.id));
    catalogCount_ = new QSpinBox(this);
    catalogCount_->setRange(1, 4096);
    catalogCount_->setValue(4);
    addButton_ = new QPushButton(this);
    removeButton_ = new QPushButton(this);
    note_ = new QLabel(this);
    note_->setWordWrap(true);
    gpuStagesLabel_ = new QLabel(this);
    gpuStages_ = new QSpinBox(this);
    gpuStages_->setObjectName("gpuStages");
    gpuStages_->setRange(1, 64);
    gpuStages_->setValue(2);
    gpuStagesLabel_->setBuddy(gpuStages_);

    auto* adder = new QHBoxLayout;
    adder->addWidget(catalogChoice_, 1);
    adder->addWidget(catalogCount_);
    adder->addWidget(addButton_);
    adder->addWidget(removeButton_);
    auto* gpuRow = new QHBoxLayout;
    gpuRow->addWidget(gpuStagesLabel_);
    gpuRow->addWidget(gpuStages_);
    gpuRow->addStretch(1);
    const bool gpus = !host.gpu.gpus.empty();
    gpuStagesLabel_->setVisible(gpus);
    gpuStages_->setVisible(gpus);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(tree_, 1);
    layout->addLayout(gpuRow);
    layout->addLayout(adder);
    layout->addWidget(note_);

    connect(addButton_, &QPushButton::clicked, this,
            [this] { addCatalogDevices(catalogChoice_->currentData().toString(), catalogCount_->value()); });
    connect(removeButton_, &QPushButton::clicked, this, [this] {
        QTreeWidgetItem* item = tree_->currentItem();
        if (item && item->parent() == catalogue_) {
            delete item;
            apply();
        }
    });
    connect(tree_, &QTreeWidget::itemChanged, this, [this](QTreeWidgetItem*, int) { apply(); });
    connect(gpuStages_, &QSpinBox::valueChanged, this, [this] { apply(); });
    connect(model_, &DesignModel::designChanged, this, &DevicesPanel::syncFromDesign);
    retranslate();
    syncFromDesign();
}

QTreeWidgetItem* DevicesPanel::addCatalogItem(const QString& id, int count, bool checked)
{
    auto* item = new QTreeWidgetItem(catalogue_);
    item->setData(0, kCatalogIdRole, id);
    item->setData(0, kCatalogCountRole, count);
    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
    item->setCheckState(0, checked ? Qt::Checked : Qt::Unchecked);
    labelCatalogItem(item);
    item->setForeground(0, QColor(0x80, 0x50, 0xa0));
    catalogue_->setExpanded(true);
    return item;
}

void DevicesPanel::labelCatalogItem(QTreeWidgetItem* item) const
{
    const QString id = item->data(0, kCatalogIdRole).toString();
    const DeviceModel& device = catalogDevice(id.toStdString());
    item->setText(0, tr("%1 × %2 (simulated)").arg(id).arg(item->data(0, kCatalogCountRole).toInt()));
    item->setText(1, tr("%1, %2 GB").arg(QString::fromStdString(device.fullName)).arg(double(device.memoryBytes) / 1e9, 0, 'f', 0));
}

void DevicesPanel::addCatalogDevices(const QString& id, int count)
{
    syncing_ = true;
    addCatalogItem(id, count, true);
    syncing_ = false;
    apply();
}

QString DevicesPanel::deviceSpec() const
{
    QStringList items;
    int cores = 0;
    for (int i = 0; i < machine_->childCount(); ++i)
        cores += machine_->child(i)->checkState(0) == Qt::Checked;
    if (cores > 0)
        items << QString("cpu:%1").arg(cores);
    for (int i = 0; i < gpus_->childCount(); ++i)
        if (gpus_->child(i)->checkState(0) == Qt::Checked)
            items << QString("cuda:%1x%2").arg(model_->host().gpu.gpus[size_t(i)].index).arg(gpuStages_->value());
    for (int i = 0; i < catalogue_->childCount(); ++i) {
        const QTreeWidgetItem* item = catalogue_->child(i);
        if (item->checkState(0) == Qt::Checked)
            items << QString("catalog:%1x%2").arg(item->data(0, kCatalogIdRole).toString()).arg(item->data(0, kCatalogCountRole).toInt());
    }
    return items.join(',');
}

void DevicesPanel::apply()
{
    if (syncing_)
        return;
    const QString spec = deviceSpec();
    if (spec.isEmpty()) {
        note_->setText(tr("Choose at least one device."));
        return;
    }
    if (!model_->setDevices(spec))
        syncFromDesign(); // refused: show the design's devices again
}

// Checks the boxes the design's spec names: "cpu:N" the first N cores,
// "cuda:KxN" GPU K with N stages, "catalog:IDxN" a catalogue entry (added
// when missing).
void DevicesPanel::syncFromDesign()
{
    syncing_ = true;
    const std::string spec = model_->plan().deviceSpec;
    int cores = 0;
    QList<int> gpus;   // ordinals of the GPUs named
    int gpuStages = 0; // stages on each (the first GPU's count)
    if (!spec.empty()) // (no design yet) — the design's spec is one parseDeviceSet accepted
        for (const DeviceSlot& slot : parseDeviceSet(spec).stageSlots) {
            cores += slot.kind == DeviceKind::Cpu;
            if (slot.kind == DeviceKind::Cuda && !gpus.contains(slot.ordinal)) {
                gpus.append(slot.ordinal);
                gpuStages = gpuStages > 0 ? gpuStages : slot.sharedBy;
            }
        }
    // Catalogue terms as written, one box each ("catalog:H100x4"; slots do not keep the grouping).
    QList<QPair<QString, int>> catalog;
    for (const QString& item : QString::fromStdString(spec).split(',', Qt::SkipEmptyParts)) {
        const QString text = item.trimmed();
        if (text.startsWith("catalog:")) {
            const QString rest = text.mid(8);
            const qsizetype times = rest.lastIndexOf('x');
            const bool counted = times > 0 && rest.mid(times + 1).toInt() > 0;
            catalog.append({counted ? rest.left(times) : rest, counted ? rest.mid(times + 1).toInt() : 1});
        }
    }
    for (int i = 0; i < machine_->childCount(); ++i)
        machine_->child(i)->setCheckState(0, i < cores ? Qt::Checked : Qt::Unchecked);
    for (int i = 0; i < gpus_->childCount(); ++i)
        gpus_->child(i)->setCheckState(0, gpus.contains(model_->host().gpu.gpus[size_t(i)].index) ? Qt::Checked
                                                                                                   : Qt::Unchecked);
    if (gpuStages > 0)
        gpuStages_->setValue(std::clamp(gpuStages, gpuStages_->minimum(), gpuStages_->maximum()));
    for (int i = 0; i < catalogue_->childCount(); ++i)
        catalogue_->child(i)->setCheckState(0, Qt::Unchecked);
    for (const auto& [id, count] : catalog) {
        QTreeWidgetItem* found = nullptr;
        for (int i = 0; i < catalogue_->childCount() && !found; ++i) {
            QTreeWidgetItem* item = catalogue_->child(i);
            if (item->data(0, kCatalogIdRole).toString().compare(id, Qt::CaseInsensitive) == 0
                && item->data(0, kCatalogCountRole).toInt() == count)
                found = item;
        }
        if (found)
            found->setCheckState(0, Qt::Checked);
        else
            addCatalogItem(id, count, true);
    }
    if (cores > machine_->childCount())
        note_->setText(tr("The design asks for %1 CPU stages; this machine has %2 usable cores, so stages share cores.")
                           .arg(cores).arg(machine_->childCount()));
    else if (!catalog.isEmpty())
        note_->setText(tr("Catalogue devices are simulated: the plan and prediction use their data sheets; "
                          "training runs on CPU cores or on the stages of one of this machine's GPUs."));
    else if (!gpus.isEmpty())
        note_->setText(tr("The plan cuts the model with the catalogue's estimates for this GPU; each stage "
                          "trains on a CUDA stream of its own."));
    else
        note_->clear();
    syncing_ = false;
}

void DevicesPanel::retranslate()
{
    // New texts are not new choices: itemChanged must not re-apply the devices.
    const bool wasSyncing = std::exchange(syncing_, true);
    const HostDevices& host = model_->host();
    tree_->setHeaderLabels({tr("Device"), tr("Details")});
    machine_->setText(0, tr("This machine"));
    machine_->setText(1, tr("%1, %2 usable cores, %3 GiB, BLAS kernel %4")
                             .arg(QString::fromStdString(host.cpuName))
                             .arg(host.cpuCores)
                             .arg(double(host.memoryBytes) / double(1 << 30), 0, 'f', 1)
                             .arg(QString::fromStdString(host.blasKernel)));
    machine_->setToolTip(1, QString::fromStdString(host.blasKernelDetail) + "\n"
                                + tr("convolutions: %1")
                                      .arg(QString::fromStdString(host.convolutionKernels)));
    for (int i = 0; i < machine_->childCount(); ++i) {
        machine_->child(i)->setText(0, tr("CPU core %1").arg(i));
        machine_->child(i)->setText(1, tr("one pipeline stage, one thread"));
    }
    gpus_->setText(0, tr("GPUs"));
    const GpuDiscovery& found = host.gpu;
    gpus_->setText(1, !found.gpus.empty()
                          ? QString::fromStdString(found.status)
                          : tr("No GPU can be used here (%1). LPM Studio plans and trains on the CPU cores; "
                               "add catalogue GPUs below to plan for them.")
                                .arg(QString::fromStdString(found.status)));
    for (int i = 0; i < gpus_->childCount(); ++i) {
        const GpuDevice& gpu = found.gpus[size_t(i)];
        QStringList peers;
        for (size_t j = 0; j < found.gpus.size(); ++j)
            if (found.peerAccess[size_t(i)][j])
                peers << QString::number(j);
        QTreeWidgetItem* item = gpus_->child(i);
        item->setText(0, tr("GPU %1: %2").arg(gpu.index).arg(QString::fromStdString(gpu.name)));
        item->setText(1, tr("%1 GiB, %2 multiprocessors, compute %3.%4, %5 MHz, peer access: %6")
                             .arg(double(gpu.memoryBytes) / double(1 << 30), 0, 'f', 1)
                             .arg(gpu.multiprocessors)
                             .arg(gpu.computeMajor)
                             .arg(gpu.computeMinor)
                             .arg(gpu.clockKHz / 1000)
                             .arg(peers.isEmpty() ? tr("none") : peers.join(", ")));
        item->setToolTip(0, tr("Train on this GPU: each pipeline stage gets a CUDA stream of its own; "
                               "with several GPUs checked, activations pass between them by peer copies."));
    }
    gpus_->setToolTip(1, gpus_->text(1));
    catalogue_->setText(0, tr("Catalogue (simulated)"));
    for (int i = 0; i < catalogue_->childCount(); ++i)
        labelCatalogItem(catalogue_->child(i));
    catalogue_->setText(1, tr("what-if planning with data-sheet figures"));
    gpuStagesLabel_->setText(tr("&Stages per GPU:"));
    gpuStages_->setToolTip(tr("How many pipeline stages each checked GPU runs, one CUDA stream each"));
    addButton_->setText(tr("Add"));
    removeButton_->setText(tr("Remove"));
    addButton_->setToolTip(tr("Add GPUs from the catalogue for what-if planning"));
    syncing_ = wasSyncing;
}

void DevicesPanel::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::LanguageChange) {
        retranslate();
        syncFromDesign();
    }
    QWidget::changeEvent(event);
}

} // namespace lpm::gui
