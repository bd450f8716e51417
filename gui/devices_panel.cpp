#include "devices_panel.h"

#include <algorithm>

#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QTreeView>
#include <QVBoxLayout>

#include "design_model.h"
#include "device_tree_model.h"
#include "devices/device_catalog.h"

namespace lpm::gui {

DevicesPanel::DevicesPanel(DesignModel* model, QWidget* parent) : QWidget(parent), model_(model)
{
    devices_ = new DeviceTreeModel(model_->host(), this);
    tree_ = new QTreeView(this);
    tree_->setModel(devices_);
    tree_->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    tree_->expandAll();
    const HostDevices& host = model_->host();

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
        if (devices_->removeCatalogEntry(tree_->currentIndex()))
            apply();
    });
    connect(devices_, &DeviceTreeModel::checksEdited, this, &DevicesPanel::apply);
    // A catalogue entry added (here or by a design's spec) shows at once.
    connect(devices_, &QAbstractItemModel::rowsInserted, tree_,
            [this](const QModelIndex& parent) { tree_->expand(parent); });
    connect(gpuStages_, &QSpinBox::valueChanged, this, [this] { apply(); });
    connect(model_, &DesignModel::designChanged, this, &DevicesPanel::syncFromDesign);
    retranslate();
    syncFromDesign();
}

void DevicesPanel::addCatalogDevices(const QString& id, int count)
{
    devices_->addCatalogEntry(id, count, true);
    apply();
}

QString DevicesPanel::deviceSpec() const
{
    return devices_->deviceSpec(gpuStages_->value());
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

// Checks the boxes the design's spec names (checksOfSpec) and says what the
// devices mean for training.
void DevicesPanel::syncFromDesign()
{
    syncing_ = true;
    const DeviceChecks checks = checksOfSpec(model_->plan().deviceSpec);
    devices_->showChecks(checks);
    if (checks.gpuStages > 0)
        gpuStages_->setValue(std::clamp(checks.gpuStages, gpuStages_->minimum(), gpuStages_->maximum()));
    if (checks.cores > devices_->host().cpuCores)
        note_->setText(tr("The design asks for %1 CPU stages; this machine has %2 usable cores, so "
                          "stages share cores.")
                           .arg(checks.cores)
                           .arg(devices_->host().cpuCores));
    else if (!checks.catalog.isEmpty())
        note_->setText(tr("Catalogue devices are simulated: the plan and prediction use their data sheets; "
                          "training runs on CPU cores or on the stages of one of this machine's GPUs."));
    else if (!checks.gpus.isEmpty())
        note_->setText(tr("The plan cuts the model with the catalogue's estimates for this GPU; each stage "
                          "trains on a CUDA stream of its own."));
    else
        note_->clear();
    syncing_ = false;
}

void DevicesPanel::retranslate()
{
    devices_->retranslate();
    gpuStagesLabel_->setText(tr("&Stages per GPU:"));
    gpuStages_->setToolTip(tr("How many pipeline stages each checked GPU runs, one CUDA stream each"));
    addButton_->setText(tr("Add"));
    removeButton_->setText(tr("Remove"));
    addButton_->setToolTip(tr("Add GPUs from the catalogue for what-if planning"));
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
