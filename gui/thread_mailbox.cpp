#include "thread_mailbox.h"

namespace lpm::gui {

void ThreadMailbox::post(std::function<void()> delivery)
{
    {
        const std::lock_guard lock(mutex_);
        queue_.push_back(std::move(delivery));
    }
    QMetaObject::invokeMethod(this, "deliverAll", Qt::QueuedConnection);
}

void ThreadMailbox::discard()
{
    const std::lock_guard lock(mutex_);
    queue_.clear();
}

// One notice per post; a notice may find the queue empty, when an earlier
// one delivered its mail.
void ThreadMailbox::deliverAll()
{
    std::deque<std::function<void()>> mail;
    {
        const std::lock_guard lock(mutex_);
        mail.swap(queue_);
    }
    for (const std::function<void()>& delivery : mail)
        delivery();
}

} // namespace lpm::gui
