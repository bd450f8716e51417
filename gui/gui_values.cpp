#include "gui_values.h"

namespace lpm::gui {

void registerGuiValueTypes()
{
    qRegisterMetaType<lpm::SessionRequest>();
    qRegisterMetaType<lpm::SessionProgress>();
    qRegisterMetaType<lpm::SessionResult>();
    qRegisterMetaType<lpm::Timeline>();
    qRegisterMetaType<lpm::DeviceCosts>();
}

} // namespace lpm::gui
