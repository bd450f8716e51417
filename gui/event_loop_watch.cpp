#include "event_loop_watch.h"

#include <algorithm>

namespace lpm::gui {

EventLoopWatch::EventLoopWatch(QObject* parent) : QObject(parent)
{
    timer_.setTimerType(Qt::PreciseTimer);
    timer_.setInterval(5);
    QObject::connect(&timer_, &QTimer::timeout, this, [this] {
        const qint64 now = clock_.nsecsElapsed();
        longest_ = std::max(longest_, now - last_);
        last_ = now;
        ++ticks_;
    });
}

void EventLoopWatch::start()
{
    clock_.start();
    last_ = longest_ = ticks_ = 0;
    timer_.start();
}

void EventLoopWatch::stop()
{
    timer_.stop();
    seconds_ = double(clock_.nsecsElapsed()) / 1e9;
}

} // namespace lpm::gui
