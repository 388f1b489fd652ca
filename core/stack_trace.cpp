#include "core/stack_trace.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <execinfo.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <exception>
#include <cstdlib>
#include <memory>

#include "core/type_name.hpp"

namespace troupe {

namespace {

constexpr int max_frames = 48;

struct thread_trace {
  bool capturing = false;
  const void* thrown = nullptr;  ///< the exception object the frames belong to
  int depth = 0;
  std::array<void*, max_frames> frames{};
};

thread_local thread_trace current;

std::string describe_frame(void* address) {
  Dl_info info{};
  if (dladdr(address, &info) != 0 && info.dli_sname != nullptr) {
    auto offset = static_cast<char*>(address) - static_cast<char*>(info.dli_saddr);
    return demangle(info.dli_sname) + " +" + std::to_string(offset);
  }
  if (info.dli_fname != nullptr) return std::string(info.dli_fname) + " [" +
                                        std::to_string(reinterpret_cast<std::uintptr_t>(address)) + "]";
  return "??";
}

// The object of the exception being handled. libstdc++'s exception_ptr is exactly a pointer to
// it (the same pointer __cxa_throw receives); libstdc++ does not export an accessor.
const void* handled_exception_object() noexcept {
  std::exception_ptr handled = std::current_exception();
  static_assert(sizeof(handled) == sizeof(void*));
  const void* object = nullptr;
  std::memcpy(&object, &handled, sizeof(object));
  return object;
}

}  // namespace

throw_trace_scope::throw_trace_scope() noexcept : previous_(current.capturing) {
  current.capturing = true;
  current.depth = 0;
  current.thrown = nullptr;
}

throw_trace_scope::~throw_trace_scope() { current.capturing = previous_; }

std::string last_throw_trace() {
  // Only if the exception being handled is the one recorded: a rethrow from another thread
  // (std::rethrow_exception) never passes through __cxa_throw.
  if (handled_exception_object() != current.thrown || current.thrown == nullptr) return "";
  std::string text;
  // Frames up to the __cxa_throw hook are the recording itself; frames from troupe's task
  // runner down are the runtime's own and say nothing about the task.
  int first = 0;
  for (int i = 0; i < current.depth && i < 4; ++i)
    if (describe_frame(current.frames[i]).rfind("__cxa_throw", 0) == 0) first = i + 1;
  for (int i = first; i < current.depth; ++i) {
    std::string frame = describe_frame(current.frames[i]);
    if (frame.rfind("troupe::execute_task", 0) == 0) break;
    text += "  " + frame + "\n";
  }
  return text;
}

}  // namespace troupe

// Interposes the C++ runtime's throw: record the stack when a task is running on this thread,
// then hand over to the real __cxa_throw (found with RTLD_NEXT).
namespace __cxxabiv1 {

extern "C" void __cxa_throw(void* exception, std::type_info* type, void (*destructor)(void*)) {
  using cxa_throw_fn = void (*)(void*, std::type_info*, void (*)(void*));
  static auto real = reinterpret_cast<cxa_throw_fn>(dlsym(RTLD_NEXT, "__cxa_throw"));
  if (real == nullptr) {
    std::fputs("troupe: cannot find the C++ runtime's __cxa_throw\n", stderr);
    std::abort();
  }
  auto& trace = troupe::current;
  if (trace.capturing) {
    trace.depth = backtrace(trace.frames.data(), troupe::max_frames);
    trace.thrown = exception;
  }
  real(exception, type, destructor);
  std::abort();  // the real __cxa_throw never returns
}

}  // namespace __cxxabiv1
