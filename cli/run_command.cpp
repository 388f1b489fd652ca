#include "cli/run_command.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <iterator>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <unordered_set>

#include "cli/json_graph.hpp"
#include "cli/json_output.hpp"
#include "collections/client.hpp"
#include "core/order.hpp"
#include "core/task_graph.hpp"
#include "net/address.hpp"

namespace troupe::cli {

namespace {

constexpr std::string_view usage_head =
    R"(usage: troupe run GRAPH.json [--scheduler sync|threads|processes] [--num-workers N]
                             [--keys K,...] [--address tcp://HOST:PORT] [--order]

Computes keys of a Dask-style task graph written in JSON and prints their values as one JSON
object, {"KEY": VALUE, ...}, on one line of standard output, keys in the order requested.

GRAPH.json ("-" reads standard input):
  {"graph": {"x": 1, "y": 2, "z": ["add", "x", "y"], "w": ["sum", ["x", "y", "z"]]},
   "targets": ["w"]}
  A value that is a list starting with a string is a task: the function's name, then its
  arguments. In arguments a string naming a key is that key's value and a list is a list of
  arguments; anything else is a literal. A literal list that starts with a string is written
  ["list", "a", ...]. Functions: )";

constexpr std::string_view usage_tail = R"(.

options:
  --scheduler NAME   sync (one thread, in priority order), threads, or processes (a local
                     cluster of worker processes) (default: $TROUPE_SCHEDULER, else threads)
  --address ADDRESS  run on the cluster whose scheduler is at tcp://HOST:PORT
  --num-workers N    threads of the threads scheduler, 1 to 1024; the sync scheduler ignores it
                     (default: $TROUPE_NUM_WORKERS, else one per hardware thread)
  --keys K,...       compute these keys instead of the file's "targets" (may be repeated);
                     with neither, every key of the graph is computed
  --order            compute nothing; print {"priorities": {"KEY": N, ...},
                     "max_results_held": M}: the order the sync scheduler runs the keys in
                     (0 first) and the most results it holds at once in that order (results
                     no task needs and literals not counted)
  -h, --help         print this help and exit

Exit status: 0 on success; 2 on any error, after one "troupe run: error: ..." line on stderr.
)";

std::string in_quotes(std::string_view s) {
  return "'" + std::string(s) + "'";
}

void append_keys(const std::string& text, std::vector<Key>& keys) {
  std::size_t start = 0;
  while (true) {
    auto comma = text.find(',', start);
    auto key = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (key.empty())
      throw ArgumentError("--keys got an empty key in " + in_quotes(text) +
                          ": separate keys with single commas, as in --keys a,b");
    keys.push_back(std::move(key));
    if (comma == std::string::npos) return;
    start = comma + 1;
  }
}

std::string read_text(const std::string& path) {
  if (path == "-") return std::string(std::istreambuf_iterator<char>(std::cin), {});
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ArgumentError(in_quotes(path) + " is a directory: give the path of a graph file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw ArgumentError("cannot open the graph file " + in_quotes(path) + ": " +
                        std::strerror(errno) + "; check the path and its permissions");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad())
    throw ArgumentError("cannot read the graph file " + in_quotes(path) + ": " +
                        std::strerror(errno));
  return std::move(text).str();
}

// --keys, else the file's targets, else every key; each key once, first occurrence first.
std::vector<Key> requested_keys(const run_arguments& args, const json_graph& file,
                                const std::string& path) {
  const char* source = "--keys";
  const std::vector<Key>* keys = &args.keys;
  if (keys->empty() && file.targets) {
    source = "the file's \"targets\"";
    keys = &*file.targets;
    if (keys->empty())
      throw ArgumentError(path +
                          ": \"targets\" is empty: list the keys to compute there, pass "
                          "--keys, or leave \"targets\" out to compute every key");
  } else if (keys->empty()) {
    keys = &file.keys;
    if (keys->empty())
      throw ArgumentError(path +
                          ": the graph has no keys, so there is nothing to compute; add "
                          "keys to \"graph\"");
  }
  std::vector<Key> out;
  std::unordered_set<std::string_view> seen;
  for (const auto& key : *keys) {
    if (!file.graph.contains(key))
      throw ArgumentError(in_quotes(key) + " (from " + source + ") is not a key of the graph in " +
                          path + ": name a key the graph defines");
    if (seen.insert(key).second) out.push_back(key);
  }
  return out;
}

void collect_strings(const Arg& arg, std::vector<std::string>& out) {
  if (arg.type_kind() == Arg::kind::list) {
    for (const auto& item : arg.items()) collect_strings(item, out);
  } else if (arg.type_kind() == Arg::kind::literal && arg.value().holds<std::string>()) {
    out.push_back(arg.value().get<std::string>());
  }
}

// One line: the traceback that TaskError::what() adds lists frames a graph's author cannot use.
// A string argument that names no key is passed as a string, as in Dask; when its task fails,
// a misspelt key is the likely cause, so the message says so.
std::string describe_failure(const TaskError& e, const Graph& graph) {
  std::string message =
      "task " + in_quotes(e.key()) + " raised " + e.type_name() + ": " + e.message();
  const auto* task = std::get_if<Task>(graph.find(e.key()));
  if (task == nullptr) return message;
  std::vector<std::string> strings;
  for (const auto& arg : task->args) collect_strings(arg, strings);
  if (strings.empty()) return message;
  std::string names;
  for (const auto& s : strings) names += (names.empty() ? "" : ", ") + in_quotes(s);
  return message + " (" + names + (strings.size() == 1 ? " names" : " name") +
         " no key of the graph and was passed as a string: if a key was meant, define it or "
         "fix the name)";
}

// {"priorities": {"KEY": N, ...}, "max_results_held": M}, keys in priority order.
void write_order(std::ostream& out, const task_graph& graph) {
  out << "{\"priorities\":{";
  for (task_index i = 0; i < graph.size(); ++i) {
    if (i > 0) out << ',';
    write_json_string(out, graph.keys[i]);
    out << ':' << i;
  }
  out << "},\"max_results_held\":" << results_held_peak(graph) << "}\n";
}

int fail(std::ostream& err, std::string_view message) {
  err << "troupe run: error: " << message << '\n';
  return 2;
}

}  // namespace

run_arguments parse_run_arguments(const std::vector<std::string>& args) {
  run_arguments out;
  std::vector<std::string> keys;
  CLI::App app("troupe run", "troupe run");
  app.set_help_flag();  // --help prints run_usage(), which lists the functions
  app.add_flag("-h,--help", out.help);
  app.add_option("GRAPH", out.graph_path);
  app.add_option("--scheduler", out.compute.scheduler)
      ->check(CLI::IsMember({"sync", "threads", "processes"}));
  app.add_option("--address", out.address);
  app.add_option("--num-workers", out.compute.num_workers)
      ->check(CLI::Range(std::size_t{1}, max_num_workers));
  app.add_option("--keys", keys)->allow_extra_args(false);
  app.add_flag("--order", out.order);
  app.allow_extras();  // named below, in troupe run's own words
  // After "--" every argument is a file name, even one starting with '-'.
  auto options_end = std::find(args.begin(), args.end(), "--");
  std::vector<std::string> reversed(std::make_reverse_iterator(options_end), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    throw ArgumentError(std::string(e.what()) + " (see troupe run --help)");
  }
  if (out.help) return out;
  std::vector<std::string> extras = app.remaining();
  if (options_end != args.end()) {
    auto files = std::next(options_end);
    if (out.graph_path.empty() && files != args.end()) out.graph_path = *files++;
    extras.insert(extras.end(), files, args.end());
  }
  if (!extras.empty()) {
    const std::string& first = extras.front();
    if (first.size() > 1 && first.front() == '-')
      throw ArgumentError("unknown option " + in_quotes(first.substr(0, first.find('='))) +
                          ": the options are --scheduler, --num-workers, --keys, --address, --order and --help");
    throw ArgumentError("unexpected argument " + in_quotes(first) +
                        ": troupe run reads one graph file (see troupe run --help)");
  }
  for (const auto& value : keys) append_keys(value, out.keys);
  if (!out.address.empty()) {
    if (!out.compute.scheduler.empty())
      throw ArgumentError("--address runs the graph on that cluster: leave out --scheduler");
    out.address = net::parse_address(out.address).to_string();
  }
  if (out.order && (!out.address.empty() || !out.compute.scheduler.empty()))
    throw ArgumentError("--order computes nothing, so it takes no --address or --scheduler: "
                        "leave them out");
  if (out.graph_path.empty())
    throw ArgumentError("no graph file given: troupe run GRAPH.json (see troupe run --help)");
  return out;
}

std::string run_usage() {
  return std::string(usage_head) + graph_function_names() + std::string(usage_tail);
}

int run_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    auto parsed = parse_run_arguments(args);
    if (parsed.help) {
      out << run_usage();
      return 0;
    }
    const auto& path = parsed.graph_path;
    std::optional<json_graph> file;
    try {
      file = parse_json_graph(read_text(path));
    } catch (const GraphError& e) {
      return fail(err, path + ": " + e.what());
    }
    if (parsed.order && file->keys.empty() && parsed.keys.empty() && !file->targets) {
      out << "{\"priorities\":{},\"max_results_held\":0}\n";  // as dask.order({}) is {}
      return 0;
    }
    auto keys = requested_keys(parsed, *file, path);
    std::shared_ptr<const task_graph> compiled;
    try {
      compiled = compile(file->graph, keys);
    } catch (const GraphError& e) {
      return fail(err, path + ": " + e.what() + "; fix the graph file");
    }
    if (parsed.order) {
      write_order(out, *compiled);
      return 0;
    }
    // With --address the graph runs on that cluster, through a Client active for this run.
    std::optional<Client> client;
    if (!parsed.address.empty()) client.emplace(parsed.address);
    try {
      write_json_object(out, keys, run_graph(std::move(compiled), parsed.compute));
      out << '\n';
    } catch (const TaskError& e) {
      return fail(err, describe_failure(e, file->graph));
    }
    return 0;
  } catch (const std::exception& e) {
    // ArgumentError (flags, file, keys, scheduler settings) and anything unforeseen.
    return fail(err, e.what());
  }
}

}  // namespace troupe::cli
