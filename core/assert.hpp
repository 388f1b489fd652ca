#pragma once
// TROUPE_ASSERT: a broken invariant, checked in every build type; prints and aborts.
// TROUPE_CHECK_ARG: a caller's mistake; throws ArgumentError with the given message.

#include <cstdio>
#include <cstdlib>

#include "core/error.hpp"

#define TROUPE_ASSERT(condition)                                                              \
  do {                                                                                        \
    if (!(condition)) {                                                                       \
      std::fprintf(stderr, "troupe: invariant broken at %s:%d: %s\n", __FILE__, __LINE__,     \
                   #condition);                                                               \
      std::abort();                                                                           \
    }                                                                                         \
  } while (false)

#define TROUPE_CHECK_ARG(condition, message)                          \
  do {                                                                \
    if (!(condition)) throw ::troupe::ArgumentError(message);         \
  } while (false)
