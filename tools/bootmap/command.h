// Subcommand registry: each cmd_*.cc registers a Setup function at static-init time,
// so adding a subcommand touches only its own file (CLI11 examples/subcom_in_files).
#pragma once
#include <string>

#include <CLI/CLI.hpp>

namespace bootmap::cli {

// Exit codes (STYLE.md): 0 success, 1 the check found problems, 2 bad input or usage.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFound = 1;
inline constexpr int kExitBadInput = 2;

// Setup binds the subcommand's options and a callback that stores its exit code.
using SetupFn = void (*)(CLI::App& app, int* exit_code);

bool RegisterCommand(const char* name, const char* help, SetupFn setup);

// Prints "bootmap: MESSAGE" to stderr and returns kExitBadInput.
int BadInput(const std::string& message);

// Writes `text` to stdout (output empty or "-") or to the file `output`, beside it first and
// then renamed: never a half-written file. kExitOk, or the error printed and kExitBadInput.
int WriteOutput(const std::string& output, const std::string& text);

}  // namespace bootmap::cli
