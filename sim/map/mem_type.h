// Memory types, region kinds and range roles of the map model. They are the core's
// vocabulary (sim/core/kinds.h): shared enums come from the core, not the other way round.
#pragma once
#include "sim/core/kinds.h"
