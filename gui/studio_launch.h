// LPM Studio's window as the command line asks for it (studio_command_line.h):
// the design opened, the language and step count set, and for --train or
// --screenshot a training run started once the window shows; --screenshot
// then saves the window and quits, refusing when a part of it is empty.
#pragma once

#include "studio_command_line.h"

namespace lpm::gui {

// Runs the application's event loop (a QApplication must exist) until the
// window closes, or a --screenshot run ends; returns the exit code: 1 when
// that run failed, its window had an empty part or the file could not be written.
int runStudio(const StudioOptions& options);

} // namespace lpm::gui
