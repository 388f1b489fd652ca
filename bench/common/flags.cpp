#include "bench/common/flags.hpp"

#include <charconv>
#include <string>

namespace troupe::bench {

std::size_t parse_count(std::string_view flag, std::string_view text) {
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size())
    throw usage_error(std::string(flag) + " needs a non-negative integer, got '" +
                      std::string(text) + "'");
  return n;
}

void parse_count_flags(int argc, char** argv,
                       const std::vector<std::pair<std::string_view, std::size_t*>>& flags) {
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (i + 1 == argc) throw usage_error(std::string(flag) + " needs a value");
    std::string_view value = argv[++i];
    bool known = false;
    for (const auto& [name, target] : flags) {
      if (flag != name) continue;
      *target = parse_count(flag, value);
      known = true;
    }
    if (!known) throw usage_error("unknown option " + std::string(flag));
  }
}

}  // namespace troupe::bench
