// The devices panel's tree (devices_panel.h) as an item model: two columns
// (device, details) under three group rows,
//
//   0 Machine    this machine; one checkable row per usable CPU core
//   1 Gpus       one checkable row per GPU found (none: the group says why)
//   2 Catalogue  one checkable row per catalogue entry added ("H100 × 4 (simulated)")
//
// The checked rows make a device spec ("cpu:2,catalog:H100x4", "cuda:0x4");
// showChecks() checks the rows a design's spec names. Only a check changed
// through setData (a click in a view) emits checksEdited, so showing a
// design's devices never edits the design. Texts follow the installed
// translator; retranslate() tells the views to fetch them again.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <QAbstractItemModel>
#include <QList>
#include <QPair>
#include <QString>

#include "devices/host_devices.h"

namespace lpm::gui {

// The rows a device spec checks.
struct DeviceChecks {
    int cores = 0;                      // CPU stages ("cpu:N": the first N cores; may exceed the usable cores)
    QList<int> gpus;                    // indices of the GPUs named ("cuda:KxN")
    int gpuStages = 0;                  // stages on each GPU (the first GPU's N); 0 without GPUs
    QList<QPair<QString, int>> catalog; // catalogue terms as written ("catalog:IDxN"): (ID, N)
};

// The checks of a spec parseDeviceSet accepts; none for an empty spec (no design yet).
DeviceChecks checksOfSpec(const std::string& spec);

class DeviceTreeModel : public QAbstractItemModel {
    Q_OBJECT

public:
    enum Group { Machine = 0, Gpus = 1, Catalogue = 2 };
    enum Role {
        CatalogIdRole = Qt::UserRole + 1, // a catalogue row's device id (column 0)
        CatalogCountRole,                 // a catalogue row's device count (column 0)
    };

    explicit DeviceTreeModel(HostDevices host, QObject* parent = nullptr);

    const HostDevices& host() const { return host_; }
    QModelIndex groupIndex(Group group) const;
    // The spec the checked rows make; each checked GPU runs `stagesPerGpu` stages.
    QString deviceSpec(int stagesPerGpu) const;
    // Checks exactly the rows `checks` names, adding the catalogue entries that are missing.
    void showChecks(const DeviceChecks& checks);
    // Adds a row for `count` catalogue devices `id` (even where one of the same exists) and
    // returns its index (column 0). Throws InvalidArgument for an id the catalogue does not know.
    QModelIndex addCatalogEntry(const QString& id, int count, bool checked);
    // Removes the catalogue row at `index` (either column); false for any other row.
    bool removeCatalogEntry(const QModelIndex& index);
    // After a language change: every text and the header changed.
    void retranslate();

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& index) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    // Qt::CheckStateRole on column 0 of a device row; emits checksEdited when the check changes.
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

signals:
    void checksEdited(); // a device row's check changed through setData

private:
    struct CatalogEntry {
        QString id; // as the spec wrote it
        int count = 1;
        bool checked = false;
        QString fullName;        // the catalogue's, e.g. "NVIDIA H100 SXM5 80 GB"
        int64_t memoryBytes = 0; // per device
    };

    QVariant groupData(Group group, int column, int role) const;
    QVariant deviceData(Group group, int row, int column, int role) const;
    bool isChecked(Group group, int row) const; // a device row's check
    void setChecked(Group group, int row, bool checked);
    // dataChanged for the check boxes of `group`'s rows.
    void checksChanged(Group group);

    HostDevices host_;
    std::vector<bool> coreChecks_; // one per usable core
    std::vector<bool> gpuChecks_;  // one per host_.gpu.gpus
    std::vector<CatalogEntry> catalog_;
};

} // namespace lpm::gui
