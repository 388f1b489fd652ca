#pragma once
// `troupe scheduler` and `troupe worker`: the long-running processes of a cluster.
//
//   troupe scheduler [--host H] [--port 8786]
//   troupe worker tcp://H:P [--nthreads N] [--nworkers N] [--memory-limit 4GiB|auto]
//                 [--name NAME] [--host H] [--no-nanny] [--preload LIB.so]...
//
// Both serve until SIGINT or SIGTERM and then stop cleanly; a worker also stops when its
// scheduler goes away. A bad flag or address prints one "troupe COMMAND: error: ..." line and
// exits with 2.

#include <iosfwd>
#include <string>
#include <vector>

namespace troupe::cli {

int scheduler_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int worker_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace troupe::cli
