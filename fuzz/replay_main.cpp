// Runs a fuzz target without libFuzzer: every file named on the command line,
// and every regular file below every directory named there, is passed once to
// LLVMFuzzerTestOneInput. Used where libFuzzer is not available (g++) and to
// replay the seed corpus in ctest.
//
//   format_fuzz fuzz/corpus/format_fuzz crash-1234

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

// Optional in a fuzz target, as with libFuzzer: weak, so it is null when absent.
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

// Each input gets a buffer of exactly its size, so that AddressSanitizer
// reports a read one past the end.
bool run_file(const fs::path& path) {
  // Named before it runs, so the last name printed is the input that crashed.
  std::fprintf(stderr, "replay: %s\n", path.c_str());
  std::ifstream in(path, std::ios::binary);
  const auto size = static_cast<std::size_t>(fs::file_size(path));
  const auto data = std::make_unique_for_overwrite<std::uint8_t[]>(size);
  if (!in.read(reinterpret_cast<char*>(data.get()), static_cast<std::streamsize>(size))) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  LLVMFuzzerTestOneInput(data.get(), size);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) {
    LLVMFuzzerInitialize(&argc, &argv);
  }
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
    return 2;
  }

  // Like libFuzzer, start with the empty input (a valid pointer, as libFuzzer passes).
  std::fprintf(stderr, "replay: (empty input)\n");
  const auto empty = std::make_unique<std::uint8_t[]>(0);
  LLVMFuzzerTestOneInput(empty.get(), 0);

  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg = argv[i];
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      for (const auto& entry : fs::recursive_directory_iterator(arg)) {
        if (entry.is_regular_file()) {
          inputs.push_back(entry.path());
        }
      }
    } else if (fs::is_regular_file(arg, ec)) {
      inputs.push_back(arg);
    } else {
      std::fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
      return 2;
    }
  }
  std::sort(inputs.begin(), inputs.end());

  for (const auto& path : inputs) {
    if (!run_file(path)) {
      return 1;
    }
  }
  std::printf("replay: %zu inputs ran without a crash\n", inputs.size() + 1);
  return 0;
}
