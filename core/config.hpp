#pragma once
// Process-wide settings: troupe::config::set("scheduler", "threads"). A key that was never set
// falls back to the environment: "scheduler" reads TROUPE_SCHEDULER, "num_workers" reads
// TROUPE_NUM_WORKERS.

#include <optional>
#include <string>
#include <string_view>

namespace troupe::config {

void set(std::string_view key, std::string value);
void unset(std::string_view key);
/// The value set for `key`, else the TROUPE_<KEY> environment variable, else nothing.
std::optional<std::string> get(std::string_view key);

}  // namespace troupe::config
