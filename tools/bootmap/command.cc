#include "tools/bootmap/command.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
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

int WriteOutput(const std::string& output, const std::string& text) {
  if (output.empty() || output == "-") {
    std::cout << text;
    std::cout.flush();
    return std::cout ? kExitOk : BadInput("<stdout>: write error");
  }
  const std::string tmp = output + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      return BadInput(output + ": cannot write");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, output, ec);
  if (ec) {
    std::remove(tmp.c_str());
    return BadInput(output + ": cannot write: " + ec.message());
  }
  return kExitOk;
}

}  // namespace bootmap::cli
