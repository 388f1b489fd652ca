// Compiled (never linked) by ctest: without TROUPE_EXPECT_MUTABLE_ERROR it must compile; with
// it, it must fail with callable_traits' static_assert, since a mutable lambda would be called
// from several executor threads at once (tests/CMakeLists.txt, compile_fail.*).

#include <atomic>
#include <cstdint>
#include <memory>
#include <troupe/troupe.hpp>

// Shared state done right: a shared_ptr to an atomic, captured by value in a const lambda.
TROUPE_NAMED_FUNCTION("compile_fail.count_calls",
                      [calls = std::make_shared<std::atomic<std::int64_t>>(0)](std::int64_t x) {
                        return x + ++*calls;
                      });

int main() {
  auto calls = std::make_shared<std::atomic<std::int64_t>>(0);
  auto counted = troupe::delayed([calls](std::int64_t x) { return x + ++*calls; });
  (void)counted(1);
#ifdef TROUPE_EXPECT_MUTABLE_ERROR
  auto racy = troupe::delayed([n = std::int64_t{0}](std::int64_t x) mutable { return x + ++n; });
  (void)racy(1);
#endif
}
