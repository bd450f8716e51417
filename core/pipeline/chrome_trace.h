// A timeline as Chrome trace-event JSON (the "JSON Array/Object Format" that
// Perfetto and chrome://tracing open): one process per stage, named by
// `stageNames`; one complete ("X") event per F, B, U or all-reduce with the
// micro-batch and mini-batch in its arguments; each transfer as a complete
// event on the sender's "link" thread, with a flow arrow from it to the
// receiving stage's next action. Times are in microseconds.
#pragma once

#include <string>
#include <vector>

#include "schedule/timeline.h"

namespace lpm {

// Throws InvalidArgument unless there is one name per stage.
std::string chromeTraceJson(const Timeline& timeline, const std::vector<std::string>& stageNames);

} // namespace lpm
