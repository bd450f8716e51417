// A fixture for the core_layers_check_fails_on_* tests: plan/ sits
// below sim/, so these includes must be reported. Never compiled.
#include "../sim/simulator.h"
#include "plan.h"
#include "plan/plan.h"
#include "sim/simulator.h"
