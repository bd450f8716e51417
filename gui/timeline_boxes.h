// A QCustomPlot plottable that draws a timeline's compute actions as boxes:
// key = time in milliseconds, value = row (stage k at k, rows grow downwards).
// Outlined boxes sit in a row's upper half, filled ones in its lower half.
#pragma once

#include <vector>

#include <qcustomplot.h>

#include "schedule/timeline.h"

namespace lpm::gui {

class TimelineBoxes : public QCPAbstractPlottable {
public:
    struct Box {
        int row = 0;
        double startMs = 0.0;
        double endMs = 0.0;
        ActionKind kind = ActionKind::Forward;
        int microBatch = -1;
    };

    TimelineBoxes(QCPAxis* keyAxis, QCPAxis* valueAxis, bool outlined);

    void setBoxes(std::vector<Box> boxes) { boxes_ = std::move(boxes); }
    const std::vector<Box>& boxes() const { return boxes_; }

    // The boxes of a timeline's compute actions in milliseconds, from
    // `firstMiniBatch` on, shifted so that the earliest starts at 0.
    static std::vector<Box> boxesOf(const Timeline& timeline, int firstMiniBatch);
    static QColor colourOf(ActionKind kind);

    double selectTest(const QPointF& pos, bool onlySelectable, QVariant* details = nullptr) const override;
    QCPRange getKeyRange(bool& foundRange, QCP::SignDomain inSignDomain = QCP::sdBoth) const override;
    QCPRange getValueRange(bool& foundRange, QCP::SignDomain inSignDomain = QCP::sdBoth,
                           const QCPRange& inKeyRange = QCPRange()) const override;

protected:
    void draw(QCPPainter* painter) override;
    void drawLegendIcon(QCPPainter* painter, const QRectF& rect) const override;

private:
    std::vector<Box> boxes_;
    bool outlined_;
};

} // namespace lpm::gui
