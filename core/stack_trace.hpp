#pragma once
// Stack traces of task exceptions, taken where the exception was thrown. By the time a worker
// catches a task's exception the throwing frames are gone, so troupe interposes __cxa_throw and
// records the stack on the throwing thread while a task is running there.

#include <string>

namespace troupe {

/// While alive, throws on this thread record their stack (for the task being run).
class throw_trace_scope {
 public:
  throw_trace_scope() noexcept;
  ~throw_trace_scope();
  throw_trace_scope(const throw_trace_scope&) = delete;
  throw_trace_scope& operator=(const throw_trace_scope&) = delete;

 private:
  bool previous_;
};

/// Inside a catch block: the stack recorded where the exception being handled was thrown (on
/// this thread, inside a throw_trace_scope), innermost first, one frame a line; "" when none
/// was. Each frame is resolved at its call instruction (return address - 1) and reads
/// `name +offset` (demangled, offset in bytes) where the module exports a symbol there, else
/// `module+0xOFFSET` with OFFSET relative to the module's load bias, for
/// `addr2line -f -C -e module 0xOFFSET`.
std::string last_throw_trace();

}  // namespace troupe
