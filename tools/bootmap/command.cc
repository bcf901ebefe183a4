#include "tools/bootmap/command.h"

#include <iostream>

#include "tools/bootmap/registry.h"

namespace bootmap::cli {

std::vector<CommandEntry>& Registry() {
  static std::vector<CommandEntry> commands;
  return commands;
}

bool RegisterCommand(const char* name, const char* help, SetupFn setup) {
  Registry().push_back({name, help, setup});
  return true;
}

int BadInput(const std::string& message) {
  std::cerr << "bootmap: " << message << "\n";
  return kExitBadInput;
}

}  // namespace bootmap::cli
