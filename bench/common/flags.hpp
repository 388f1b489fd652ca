#pragma once
// Command-line pieces the benchmark programs share: counts given as flags, and timing.

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

namespace troupe::bench {

/// A bad command line (the program prints its usage and exits with 2).
struct usage_error : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

/// `text` as a count for `flag`; usage_error when it is not a whole number.
std::size_t parse_count(std::string_view flag, std::string_view text);

/// Parses "--flag N" pairs into the counts named in `flags`; usage_error for anything else.
void parse_count_flags(int argc, char** argv,
                       const std::vector<std::pair<std::string_view, std::size_t*>>& flags);

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace troupe::bench
