// How responsive the event loop stays while something runs beside it: a 5 ms
// timer's longest gap between two ticks (a stall of the window shows as a
// long gap). lpm-studio --screenshot reports it for the training run.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace lpm::gui {

class EventLoopWatch : public QObject {
public:
    explicit EventLoopWatch(QObject* parent = nullptr);

    void start(); // forgets an earlier watch
    void stop();
    double longestGapMs() const { return double(longest_) / 1e6; }
    qint64 ticks() const { return ticks_; }
    double seconds() const { return seconds_; } // from start() to stop()

private:
    QTimer timer_;
    QElapsedTimer clock_;
    qint64 last_ = 0;    // ns since start() at the last tick
    qint64 longest_ = 0; // ns
    qint64 ticks_ = 0;
    double seconds_ = 0.0;
};

} // namespace lpm::gui
