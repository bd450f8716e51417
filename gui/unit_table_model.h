// The units panel's table (units_panel.h) as a table model over a
// DesignModel: one row per unit of the model, in chain order, nine columns
//
//   0 #       the unit's index
//   1 Kind    "Conv2d", "ResidualBlock", an imported unit's op or "Block"
//   2 Settings the layer's settings, or an imported unit's ops
//   3 Output  one sample's output shape
//   4 Params  parameters (count)
//   5 MFLOP   forward MFLOP per sample
//   6 Stage   the stage that holds the unit
//   7 F+B ms  forward plus backward per micro-batch on that stage's device,
//             empty where the plan has no costs for it
//   8 Nodes   an imported unit's ONNX nodes (count; the names in the tooltip)
//
// SearchRole gives, on column 0, what the panel's filter reads: the kind,
// settings and every ONNX node name. SortRole gives numbers for the numeric
// columns. Follows designChanged: a new model resets the rows; otherwise
// only the stage and time columns change, so a view keeps its selection,
// filter and scroll position while a cut is dragged.
#pragma once

#include <string>
#include <vector>

#include <QAbstractTableModel>
#include <QString>

namespace lpm::gui {

class DesignModel;

class UnitTableModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column { Unit, Kind, Settings, Output, Parameters, Flops, Stage, Milliseconds, Nodes, ColumnCount };
    enum Role { SearchRole = Qt::UserRole, SortRole };

    explicit UnitTableModel(DesignModel* design, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // After a language change: the headers changed.
    void retranslate();

    // "ONNX nodes:" and an imported unit's nodes, a line each (the first 40,
    // then how many more): the tooltips of the table and the network view.
    static QString nodeListText(const std::vector<std::string>& nodes);

private:
    struct Placement {
        int stage = -1;
        double milliseconds = -1.0; // forward + backward per micro-batch; < 0 where unknown
        bool operator==(const Placement&) const = default;
    };

    void refresh(); // the design's units and their stages
    std::vector<Placement> placements() const;
    QString text(int row, int column) const;

    DesignModel* design_;
    std::string shownModel_; // the outline the rows were made for
    int shownUnits_ = 0;
    std::vector<Placement> placements_; // one per unit
};

} // namespace lpm::gui
