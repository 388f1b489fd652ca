#pragma once
// Byte counts for people: "128 MiB", "2.5 GiB" (two significant digits below 10, else three;
// binary units), as the printable summaries of a Client and of an array show them.

#include <cstdint>
#include <sstream>
#include <string>

namespace troupe {

inline std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 5) {
    bytes /= 1024;
    ++unit;
  }
  std::ostringstream out;
  out.precision(bytes < 10 ? 2 : 3);
  out << bytes << ' ' << units[unit];
  return out.str();
}

}  // namespace troupe
