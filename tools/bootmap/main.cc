// bootmap: assembles the registered subcommands and runs one.
#include <algorithm>
#include <cstring>
#include <iostream>

#include "bootmap_version.h"  // generated: BOOTMAP_VERSION, BOOTMAP_GIT_REVISION
#include "tools/bootmap/registry.h"

int main(int argc, char** argv) {
  using namespace bootmap::cli;
  CLI::App app{"bootmap: x86-64 boot-time memory-mapping simulator"};
  app.require_subcommand(1);
  // "bootmap 0.1.0 (git 8d9f642-dirty)": the version and the revision it was built from.
  app.set_version_flag("--version", std::string("bootmap ") + BOOTMAP_VERSION + " (git " + BOOTMAP_GIT_REVISION + ")");
  int exit_code = kExitOk;
  auto& commands = Registry();
  std::sort(commands.begin(), commands.end(),
            [](const CommandEntry& a, const CommandEntry& b) { return std::strcmp(a.name, b.name) < 0; });
  for (const CommandEntry& c : commands) c.setup(*app.add_subcommand(c.name, c.help), &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitBadInput;
  }
  return exit_code;
}
