// The devices panel: what this machine offers (its CPU cores, each with a
// checkbox; its GPUs, each with a checkbox and as many pipeline stages as
// "stages per GPU" says, or plain words on why there are none) and devices
// added from the catalogue for what-if planning, marked as simulated, in a
// tree view of a DeviceTreeModel (device_tree_model.h). Every change becomes
// the design's device spec ("cpu:2,catalog:H100x4", "cuda:0x4").
#pragma once

#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTreeView;

namespace lpm::gui {

class DesignModel;
class DeviceTreeModel;

class DevicesPanel : public QWidget {
    Q_OBJECT

public:
    explicit DevicesPanel(DesignModel* model, QWidget* parent = nullptr);

    // The spec the checked devices make.
    QString deviceSpec() const;
    // For tests and scripts: add `count` catalogue GPUs of `id`.
    void addCatalogDevices(const QString& id, int count);
    DeviceTreeModel* deviceTree() const { return devices_; }
    QTreeView* deviceView() const { return tree_; }
    void retranslate();

protected:
    void changeEvent(QEvent* event) override;

private:
    void syncFromDesign();
    void apply();

    DesignModel* model_;
    DeviceTreeModel* devices_;
    QTreeView* tree_;
    QLabel* gpuStagesLabel_;
    QSpinBox* gpuStages_; // stages on each checked GPU, one CUDA stream each
    QComboBox* catalogChoice_;
    QSpinBox* catalogCount_;
    QPushButton* addButton_;
    QPushButton* removeButton_;
    QLabel* note_;
    bool syncing_ = false;
};

} // namespace lpm::gui
