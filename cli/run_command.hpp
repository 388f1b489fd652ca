#pragma once
// `troupe run GRAPH.json [--scheduler sync|threads] [--num-workers N] [--keys K,...]`: computes
// keys of a JSON graph (cli/json_graph.hpp) and prints {"KEY": VALUE, ...} on one line.
//
// Which keys: --keys when given, else the file's "targets", else every key of the graph in file
// order. A key requested twice is computed and printed once. Every failure (bad flags, bad
// file, malformed graph, a task that raises) prints one "troupe run: error: ..." message on
// stderr and exits with status 2; --help prints the usage on stdout and exits with 0.
// --order prints {"priorities": {"KEY": N, ...}, "max_results_held": M} instead of computing:
// the order the sync scheduler would run the keys in, and the results it would hold at once.

#include <iosfwd>
#include <string>
#include <vector>

#include "collections/compute.hpp"

namespace troupe::cli {

/// The command line of `troupe run`, parsed.
struct run_arguments {
  std::string graph_path;  ///< "-" reads standard input
  compute_options compute;
  std::vector<Key> keys;  ///< from --keys (which may be repeated); empty: not given
  std::string address;    ///< --address: a running cluster's scheduler
  bool order = false;     ///< --order: print the priorities instead of computing
  bool help = false;
};

/// Parses the arguments that follow `run`. ArgumentError names the bad argument and the fix.
[[nodiscard]] run_arguments parse_run_arguments(const std::vector<std::string>& args);

/// The usage text of `troupe run` (its list of functions is the registry's).
std::string run_usage();

/// Runs `troupe run` with the arguments that follow `run`; returns the exit status.
int run_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace troupe::cli
