// A fixture for core_layers_check_fails_on_an_upward_include: plan/ sits
// below sim/, so this include must be reported. Never compiled.
#include "plan/plan.h"
#include "sim/simulator.h"
