#include <gtest/gtest.h>

#include "bootmap_version.h"
#include "tools/bootmap/run_for_test.h"

namespace bootmap::cli {
namespace {

using testing::RunBootmap;

// --version prints the project version and the git revision the build came from, exit 0.
TEST(Version, PrintsVersionAndRevision) {
  auto r = RunBootmap("--version");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("bootmap ") + BOOTMAP_VERSION + " (git " + BOOTMAP_GIT_REVISION + ")\n");
  EXPECT_NE(std::string(BOOTMAP_GIT_REVISION), "");
  EXPECT_TRUE(r.err.empty()) << r.err;
}

// --version needs no subcommand; a subcommand without its arguments still fails as usage (exit 2).
TEST(Version, IsNotASubcommand) {
  EXPECT_EQ(RunBootmap("").exit_code, 2);
  EXPECT_EQ(RunBootmap("--version replay").exit_code, 0);
}

}  // namespace
}  // namespace bootmap::cli
