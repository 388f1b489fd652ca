// Task tracebacks (core/stack_trace.cpp): each frame is resolved at its call instruction, not at
// the return address after it, and a frame with no dynamic symbol reads module+0xOFFSET, which
// addr2line turns into the function and file:line.

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "collections/compute.hpp"
#include "core/error.hpp"
#include "core/function.hpp"
#include "core/graph.hpp"

using namespace troupe;

namespace {

// The lines the traceback must point at, recorded by the functions themselves.
int anon_throw_line = 0;
int anon_call_line = 0;

// No dynamic symbol (internal linkage): its frame prints as troupe_tests+0xOFFSET.
[[gnu::noinline]] std::int64_t anon_thrower(std::int64_t x) {
  anon_throw_line = __LINE__ + 1;
  if (x < 0) throw std::invalid_argument("anon_thrower: negative input");
  return x + 1;
}

// The instruction after the call belongs to the next line: resolved at the return address, the
// frame would name the line of the return statement.
[[gnu::noinline]] std::int64_t anon_task(std::int64_t x) {
  anon_call_line = __LINE__ + 1;
  std::int64_t y = anon_thrower(x);
  return y * 3;
}

// The traceback of the TaskError that running `function` on -1 under the sync scheduler raises,
// one frame a line, innermost first.
std::vector<std::string> traceback_of(function_ref function) {
  Graph g;
  g.add("x", Value(std::int64_t{-1}));
  g.add("t", Task{std::move(function), {Arg::ref("x")}});
  try {
    get(g, {"t"}, compute_options{"sync", 0});
  } catch (const TaskError& e) {
    INFO(e.what());
    std::vector<std::string> frames;
    std::istringstream lines(e.traceback());
    for (std::string line; std::getline(lines, line);) {
      auto start = line.find_first_not_of(' ');
      if (start != std::string::npos) frames.push_back(line.substr(start));
    }
    return frames;
  }
  FAIL("expected a TaskError");
  return {};
}

std::string joined(const std::vector<std::string>& frames) {
  std::string text;
  for (const auto& frame : frames) text += "  " + frame + "\n";
  return text;
}

// What `addr2line -f -C -e executable offset` answers: {function, file:line}; {} on failure.
std::vector<std::string> addr2line(const std::string& executable, const std::string& offset) {
  std::string command = "addr2line -f -C -e '" + executable + "' " + offset + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return {};
  std::vector<std::string> lines;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr) {
    std::string line(buffer.data());
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

// "dir/file.cpp:42 (discriminator 3)" -> {"file.cpp", 42}.
std::pair<std::string, int> file_and_line(std::string location) {
  if (auto paren = location.find(" ("); paren != std::string::npos) location.resize(paren);
  auto colon = location.rfind(':');
  if (colon == std::string::npos) return {location, 0};
  return {std::filesystem::path(location.substr(0, colon)).filename().string(),
          std::atoi(location.c_str() + colon + 1)};
}

}  // namespace

// Has a dynamic symbol (the test binary links with ENABLE_EXPORTS).
[[noreturn, gnu::noinline]] void throw_out_of_range(std::int64_t x) {
  throw std::out_of_range("index " + std::to_string(x) + " is out of range");
}

// Its last instruction is the call to a noreturn function, so its return address lies past its
// own end, at the start of the function placed after it. Both are cold (the compiler puts a
// function that never returns among the cold ones anyway; they get no alignment padding) and
// no_reorder (emitted in source order), so the next function starts right at that address.
[[gnu::noinline, gnu::cold, gnu::no_reorder]] std::int64_t ends_in_noreturn_call(std::int64_t x) {
  throw_out_of_range(x);
}

// Right after ends_in_noreturn_call: where its frame resolved at the return address lands.
[[gnu::noinline, gnu::cold, gnu::no_reorder]] std::int64_t placed_after_noreturn_caller(std::int64_t x) {
  return x + 1;
}

TEST_CASE("stack trace: a frame without a dynamic symbol reads module+0xOFFSET for addr2line",
          "[core][stack_trace]") {
  auto frames = traceback_of(local_function("anon_task", &anon_task));
  INFO("traceback:\n" << joined(frames));
  const std::string executable = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string module = std::filesystem::path(executable).filename().string() + "+0x";
  // Innermost first: the throw in anon_thrower, then the call in anon_task.
  REQUIRE(frames.size() >= 2);
  auto throw_at = frames[0].find(module);
  auto call_at = frames[1].find(module);
  REQUIRE(throw_at != std::string::npos);
  REQUIRE(call_at != std::string::npos);
  CHECK(frames[0].substr(0, throw_at) + module == executable + "+0x");
  std::string throw_offset = frames[0].substr(throw_at + module.size() - 2);
  std::string call_offset = frames[1].substr(call_at + module.size() - 2);

  if (std::system("command -v addr2line > /dev/null 2>&1") != 0) {
    WARN("SKIP: addr2line is not installed; the offsets are not resolved");
    return;
  }
  auto thrower = addr2line(executable, throw_offset);
  auto caller = addr2line(executable, call_offset);
  REQUIRE(thrower.size() == 2);
  REQUIRE(caller.size() == 2);
  INFO("addr2line " << throw_offset << ": " << thrower[0] << " at " << thrower[1]);
  INFO("addr2line " << call_offset << ": " << caller[0] << " at " << caller[1]);
  auto [throw_file, throw_line] = file_and_line(thrower[1]);
  auto [call_file, call_line] = file_and_line(caller[1]);
  CHECK(thrower[0].find("anon_thrower") != std::string::npos);
  CHECK(throw_file == "stack_trace_test.cpp");
  CHECK(throw_line == anon_throw_line);
  // At the return address this would be the line after the call.
  CHECK(caller[0].find("anon_task") != std::string::npos);
  CHECK(call_file == "stack_trace_test.cpp");
  CHECK(call_line == anon_call_line);
}

TEST_CASE("stack trace: a function ending in a noreturn call is named, not the one after it",
          "[core][stack_trace]") {
  auto frames = traceback_of(local_function("ends_in_noreturn_call", &ends_in_noreturn_call));
  INFO("traceback:\n" << joined(frames));
  REQUIRE(frames.size() >= 2);
  CHECK(frames[0].rfind("throw_out_of_range(long) +", 0) == 0);
  CHECK(frames[1].rfind("ends_in_noreturn_call(long) +", 0) == 0);
  for (const auto& frame : frames)
    CHECK(frame.find("placed_after_noreturn_caller") == std::string::npos);
}
