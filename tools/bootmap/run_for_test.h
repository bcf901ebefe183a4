// Runs the built bootmap binary for whole-program tests: exit code, stdout, stderr.
#pragma once
#include <sys/wait.h>

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace bootmap::cli::testing {

struct Ran {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string Root() {
  const char* root = std::getenv("BOOTMAP_ROOT");
  return root ? root : ".";
}

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `args` is passed to the shell after the binary's path; run from the repository root.
inline Ran RunBootmap(const std::string& args) {
  static int counter = 0;
  const std::string base = std::string(::testing::TempDir()) + "/bootmap_run" + std::to_string(::getpid()) + "_" +
                           std::to_string(counter++);
  const std::string command = "cd '" + Root() + "' && '" + BOOTMAP_EXE + "' " + args + " >'" + base + ".out' 2>'" +
                              base + ".err'";
  int status = std::system(command.c_str());
  Ran r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = Slurp(base + ".out");
  r.err = Slurp(base + ".err");
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  return r;
}

}  // namespace bootmap::cli::testing
