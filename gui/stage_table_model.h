// The plan panel's stage table (plan_panel.h) as a table model over a
// DesignModel: one row per stage of the plan, nine columns
//
//   0 #        stage index
//   1 Device   the device's label
//   2 Units    first–last
//   3 F+B ms   forward plus backward per micro-batch (ms)
//   4 Comm ms  activation in plus gradient out per micro-batch (ms)
//   5 Memory   what the stage needs at its peak (capacity in the tooltip; red when over)
//   6 Busy     share of the iteration the device is busy (%)
//   7 R        a check box: the stage recomputes its activations (an
//              undoable edit of the design, DesignModel::setStageRecompute)
//   8 Cores    the CPU cores the stage runs on, edited in place (stage
//              replication, DesignModel::setStageReplicas)
//
// Columns 3–6 are empty while the plan has no prediction. Every cell's
// tooltip is its text in full (a narrow dock elides it); headers are short,
// with tooltips that say the rest. Follows designChanged: rows are inserted
// or removed at the end and the rest change in place, so a view keeps its
// selection and scroll position while a cut is dragged.
#pragma once

#include <vector>

#include <QAbstractTableModel>
#include <QString>

#include "sim/prediction.h"

namespace lpm::gui {

class DesignModel;

class StageTableModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column { Stage, Device, Units, ComputeMs, CommunicationMs, Memory, Busy, Recompute, Cores, ColumnCount };

    explicit StageTableModel(DesignModel* design, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

    // After a language change: the header and the memory tooltips changed.
    void retranslate();

private:
    struct Row {
        QString device; // label, "?" for a device the plan does not have
        int first = 0;
        int last = 0;
        bool recompute = false;
        int replicas = 1;
        bool predicted = false; // figures holds the stage's prediction
        StagePrediction figures;
    };

    void refresh(); // the design's stages, as rows
    QString text(int row, int column) const;

    DesignModel* design_;
    std::vector<Row> rows_;
};

} // namespace lpm::gui
