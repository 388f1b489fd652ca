#include "core/stack_trace.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

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

// backtrace() records return addresses: each points at the instruction after a call, which may
// belong to the next line or, when the call was a function's last instruction (a noreturn
// call, such as __cxa_throw or a function that always throws), to the next function. So a
// frame is looked up at (address - 1), inside the call instruction itself. Every frame here is
// a return address, the innermost included (it is the return into the hook from backtrace()).
const char* call_site(const void* return_address) {
  return static_cast<const char*>(return_address) - 1;
}

// The running executable's absolute path (dladdr reports argv[0] for it, which may be
// relative or a bare name found through PATH).
const std::string& executable_path() {
  static const std::string path = [] {
    std::array<char, 4096> buffer{};
    auto length = readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
    return length > 0 ? std::string(buffer.data(), static_cast<std::size_t>(length))
                      : std::string("??");
  }();
  return path;
}

// "name +offset" where the module exports a symbol for the address; otherwise
// "module+0xOFFSET", the address relative to the module's load bias, which is the address in
// the file itself: `addr2line -f -C -e module 0xOFFSET` names the function and file:line.
std::string describe_frame(const void* return_address) {
  const char* address = call_site(return_address);
  Dl_info info{};
  link_map* module = nullptr;
  if (dladdr1(address, &info, reinterpret_cast<void**>(&module), RTLD_DL_LINKMAP) == 0)
    return "??";
  if (info.dli_sname != nullptr && info.dli_saddr != nullptr) {
    auto offset = address - static_cast<const char*>(info.dli_saddr);
    return demangle(info.dli_sname) + " +" + std::to_string(offset);
  }
  // The load bias (l_addr) equals dli_fbase for PIE executables and shared libraries, and is 0
  // for a non-PIE executable, whose file addresses are its run-time addresses.
  auto bias = module != nullptr ? module->l_addr
                                : reinterpret_cast<std::uintptr_t>(info.dli_fbase);
  char offset[2 + 2 * sizeof(std::uintptr_t) + 1];
  std::snprintf(offset, sizeof(offset), "0x%jx",
                static_cast<std::uintmax_t>(reinterpret_cast<std::uintptr_t>(address) - bias));
  bool main_program = module != nullptr && module->l_name[0] == '\0';
  std::string path = main_program                                            ? executable_path()
                     : info.dli_fname != nullptr && info.dli_fname[0] != '\0' ? info.dli_fname
                                                                               : "??";
  return path + "+" + offset;
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
  // Frames up to the __cxa_throw hook are the recording itself (frame 0 is the hook, which
  // calls backtrace()); frames from troupe's task runner down are the runtime's own and say
  // nothing about the task.
  int first = 1;
  for (int i = 1; i < current.depth && i < 4; ++i)
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
