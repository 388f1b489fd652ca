#pragma once
// TROUPE_REGISTER_TYPE(T): makes a user type a codable Value type through Boost.Serialization.
//
//   struct point { double x, y;
//     template <class Archive> void serialize(Archive& ar, unsigned) { ar & x & y; } };
//   TROUPE_REGISTER_TYPE(point)   // at global scope, right after the type, in every binary
//
// The type's name on the wire is the spelling given to the macro, so it must be the same
// everywhere the type is sent or received.

#include <sstream>
#include <string>

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>

#include "core/value.hpp"

namespace troupe::detail {

template <class T>
struct boost_codec {
  static constexpr bool available = true;
  static void encode(const T& x, byte_writer& out) {
    std::ostringstream stream;
    {
      boost::archive::binary_oarchive archive(stream, boost::archive::no_header);
      archive << x;
    }
    out.write_string(stream.str());
  }
  static T decode(byte_reader& in) {
    std::istringstream stream(in.read_string());
    boost::archive::binary_iarchive archive(stream, boost::archive::no_header);
    T x;
    archive >> x;
    return x;
  }
  static std::size_t nbytes(const T&) { return sizeof(T); }
};

}  // namespace troupe::detail

#define TROUPE_REGISTER_TYPE(T)                                       \
  namespace troupe {                                                  \
  template <>                                                         \
  struct type_name_of<T> {                                            \
    static std::string get() { return #T; }                           \
  };                                                                  \
  template <>                                                         \
  struct codec<T> : detail::boost_codec<T> {};                        \
  }                                                                   \
  template struct ::troupe::detail::decoder_registration<T>;
