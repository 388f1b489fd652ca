// The `troupe` command: dispatches to a subcommand by its first argument.

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/cluster_commands.hpp"
#include "cli/run_command.hpp"
#include "collections/client.hpp"

namespace {

struct subcommand {
  std::string_view name;
  std::string_view summary;
  int (*main)(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
};

constexpr subcommand subcommands[] = {
    {"run", "compute the keys of a JSON task graph and print their values as JSON",
     troupe::cli::run_command},
    {"scheduler", "serve a scheduler that clients send work to and workers join",
     troupe::cli::scheduler_command},
    {"worker", "run workers (each under a nanny) for a scheduler", troupe::cli::worker_command},
};

void print_usage(std::ostream& out) {
  out << "usage: troupe COMMAND [ARGUMENTS...]\n\ncommands:\n";
  for (const auto& command : subcommands)
    out << "  " << command.name << std::string(12 - command.name.size(), ' ') << command.summary << '\n';
  out << "\nRun 'troupe COMMAND --help' for the arguments of a command.\n";
}

}  // namespace

int main(int argc, char** argv) {
  troupe::init(argc, argv);  // a worker started by `troupe run --scheduler processes`
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    print_usage(std::cerr);
    return 2;
  }
  if (args[0] == "-h" || args[0] == "--help") {
    print_usage(std::cout);
    return 0;
  }
  for (const auto& command : subcommands) {
    if (args[0] == command.name)
      return command.main({args.begin() + 1, args.end()}, std::cout, std::cerr);
  }
  std::cerr << "troupe: error: unknown command '" << args[0]
            << "': run 'troupe --help' for the commands\n";
  return 2;
}
