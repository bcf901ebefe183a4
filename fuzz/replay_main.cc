// Replays files (or every file below a directory) through LLVMFuzzerTestOneInput, so the
// corpora run as ordinary tests with any compiler.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size);

namespace {

int Replay(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return 1;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t files = 0;
  int failures = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path arg(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(arg)) {
        if (!entry.is_regular_file() || entry.path().filename() == "README.md") continue;
        failures += Replay(entry.path());
        ++files;
      }
    } else {
      failures += Replay(arg);
      ++files;
    }
  }
  std::printf("replayed %zu files\n", files);
  if (files == 0) {
    std::fprintf(stderr, "replay: no input files (give files or corpus directories)\n");
    return 1;
  }
  return failures == 0 ? 0 : 1;
}
