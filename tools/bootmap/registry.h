#pragma once
#include <vector>

#include "tools/bootmap/command.h"

namespace bootmap::cli {

struct CommandEntry {
  const char* name;
  const char* help;
  SetupFn setup;
};
std::vector<CommandEntry>& Registry();

}  // namespace bootmap::cli
