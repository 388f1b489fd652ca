#pragma once
// Stable names for value types. The name of a type must be the same in every process and on
// every machine (it selects the decoder when a value arrives), so it is spelled out here for
// the built-in types rather than taken from the compiler's mangling.

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

namespace troupe {

/// The demangled C++ name of a type, for messages (never for the wire).
std::string demangle(const char* mangled_name);

template <class T, class = void>
struct type_name_of {
  static std::string get() { return demangle(typeid(T).name()); }
};

template <class T>
std::string type_name() {
  return type_name_of<T>::get();
}

#define TROUPE_DETAIL_TYPE_NAME(type, name)        \
  template <>                                      \
  struct type_name_of<type> {                      \
    static std::string get() { return name; }      \
  };

TROUPE_DETAIL_TYPE_NAME(bool, "bool")
TROUPE_DETAIL_TYPE_NAME(float, "float32")
TROUPE_DETAIL_TYPE_NAME(double, "float64")
TROUPE_DETAIL_TYPE_NAME(std::string, "string")

#undef TROUPE_DETAIL_TYPE_NAME

// Integers are named by signedness and width, so that long and long long (both 64 bits on
// Linux, where int64_t is long, and on macOS, where it is long long) have one name everywhere.
template <class T>
struct type_name_of<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
  static std::string get() {
    return (std::is_signed_v<T> ? "int" : "uint") + std::to_string(8 * sizeof(T));
  }
};

template <class T>
struct type_name_of<std::vector<T>> {
  static std::string get() { return "vector<" + type_name<T>() + ">"; }
};

template <class K, class V>
struct type_name_of<std::map<K, V>> {
  static std::string get() { return "map<" + type_name<K>() + "," + type_name<V>() + ">"; }
};

template <class A, class B>
struct type_name_of<std::pair<A, B>> {
  static std::string get() { return "pair<" + type_name<A>() + "," + type_name<B>() + ">"; }
};

template <class... Ts>
struct type_name_of<std::tuple<Ts...>> {
  static std::string get() {
    std::string name = "tuple<";
    bool first = true;
    ((name += (first ? "" : ","), name += type_name<Ts>(), first = false), ...);
    return name + ">";
  }
};

}  // namespace troupe
