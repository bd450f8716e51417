// The core values that cross threads in queued signals, declared to Qt's
// meta-type system. Plain values only: no tensors.
#pragma once

#include <QMetaType>

#include "plan/cost_model.h"
#include "schedule/timeline.h"
#include "train/training_session.h"

Q_DECLARE_METATYPE(lpm::SessionRequest)
Q_DECLARE_METATYPE(lpm::SessionProgress)
Q_DECLARE_METATYPE(lpm::SessionResult)
Q_DECLARE_METATYPE(lpm::Timeline)
Q_DECLARE_METATYPE(lpm::DeviceCosts)

namespace lpm::gui {

// Registers the types above; idempotent.
void registerGuiValueTypes();

} // namespace lpm::gui
