// Hands work from one thread to another: a closure is queued under a mutex
// and run, in posting order, on the thread the mailbox lives on (its
// QObject thread). Qt's queued call only says that mail has come; it carries
// no values, so every value crosses threads under this mutex, a hand-over
// ThreadSanitizer can see. (Debian's Qt is not instrumented: the locking of
// its own event queue is invisible to TSan, and values passed through queued
// signals read as races there.)
#pragma once

#include <deque>
#include <functional>
#include <mutex>

#include <QObject>

namespace lpm::gui {

class ThreadMailbox : public QObject {
    Q_OBJECT

public:
    ~ThreadMailbox() override { discard(); }

    // Any thread: `delivery` runs later on this mailbox's thread.
    void post(std::function<void()> delivery);
    // Drops what has not been delivered (after the receiving thread has ended).
    void discard();

private slots:
    void deliverAll();

private:
    std::mutex mutex_;
    std::deque<std::function<void()>> queue_; // guarded by mutex_
};

} // namespace lpm::gui
