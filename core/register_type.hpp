#pragma once
// TROUPE_REGISTER_TYPE(T): makes a user type a codable Value type through Boost.Serialization.
//
//   struct point { double x, y;
//     template <class Archive> void serialize(Archive& ar, unsigned) { ar & x & y; } };
//   TROUPE_REGISTER_TYPE(point)   // at global scope, right after the type, in every binary
//
// The type's name on the wire is the spelling given to the macro, so it must be the same
// everywhere the type is sent or received.
//
// Decoding faces the network as the built-in codecs do: Boost's binary archive trusts the
// lengths it reads (a corrupt string length makes it allocate that many bytes), so values are
// read through bounded_binary_iarchive, which checks every string length and collection count
// against the bytes left; and whatever Boost throws becomes troupe's TypeError.

#include <sstream>
#include <streambuf>
#include <string>
#include <string_view>

#include <boost/archive/binary_iarchive_impl.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/archive/detail/register_archive.hpp>
#include <boost/archive/impl/archive_serializer_map.ipp>
#include <boost/archive/impl/basic_binary_iarchive.ipp>
#include <boost/archive/impl/basic_binary_iprimitive.ipp>
#include <boost/serialization/array_optimization.hpp>
#include <boost/serialization/collection_size_type.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>

#include "core/value.hpp"

namespace troupe::detail {

/// A read-only stream buffer over bytes owned elsewhere (no copy).
class view_streambuf : public std::streambuf {
 public:
  explicit view_streambuf(std::string_view bytes) {
    char* begin = const_cast<char*>(bytes.data());  // the get area is only ever read
    setg(begin, begin, begin + bytes.size());
  }
  std::size_t remaining() const noexcept { return static_cast<std::size_t>(egptr() - gptr()); }
};

/// Boost's binary input archive, reading the same bytes as boost::archive::binary_iarchive,
/// with every string length and collection count checked against the bytes left (a collection
/// element takes at least one byte), so a corrupt length fails instead of allocating.
class bounded_binary_iarchive
    : public boost::archive::binary_iarchive_impl<bounded_binary_iarchive, char,
                                                  std::char_traits<char>> {
  using base =
      boost::archive::binary_iarchive_impl<bounded_binary_iarchive, char, std::char_traits<char>>;
  friend class boost::archive::detail::interface_iarchive<bounded_binary_iarchive>;
  friend class boost::archive::basic_binary_iarchive<bounded_binary_iarchive>;
  friend class boost::archive::basic_binary_iprimitive<bounded_binary_iarchive, char,
                                                       std::char_traits<char>>;
  friend class boost::archive::load_access;

 public:
  explicit bounded_binary_iarchive(view_streambuf& buffer)
      : base(buffer, boost::archive::no_header), buffer_(buffer) {
    init(boost::archive::no_header);
  }

 protected:
  template <class T>
  void load(T& t) {
    base::load(t);
  }
  void load(std::string& s) {
    std::size_t size = 0;
    base::load(size);
    check(size, 1, "string length");
    s.resize(size);
    if (size > 0) load_binary(s.data(), size);
  }
  void load(std::wstring& s) {
    std::size_t size = 0;
    base::load(size);
    check(size, sizeof(wchar_t), "wide string length");
    s.resize(size);
    if (size > 0) load_binary(s.data(), size * sizeof(wchar_t));
  }
  template <class T>
  void load_override(T& t) {
    base::load_override(t);
  }
  void load_override(boost::serialization::collection_size_type& count) {
    base::load_override(count);
    check(count, 1, "collection size");
  }

 private:
  void check(std::size_t length, std::size_t element_size, const char* what) const {
    if (length > buffer_.remaining() / element_size)
      throw TypeError("corrupt encoded value: a " + std::string(what) + " of " +
                      std::to_string(length) + " exceeds the " +
                      std::to_string(buffer_.remaining()) + " bytes left");
  }
  view_streambuf& buffer_;
};

template <class T>
struct boost_codec {
  static constexpr bool available = true;
  static constexpr std::size_t min_encoded_size = 8;  ///< the payload's length
  static void encode(const T& x, byte_writer& out) {
    std::ostringstream stream;
    {
      boost::archive::binary_oarchive archive(stream, boost::archive::no_header);
      archive << x;
    }
    out.write_string(stream.str());
  }
  static T decode(byte_reader& in) {
    view_streambuf buffer(in.read_string_view());
    T x;
    try {
      bounded_binary_iarchive archive(buffer);
      archive >> x;
    } catch (const troupe::error&) {
      throw;
    } catch (const std::exception& e) {
      throw TypeError("corrupt encoded value of type " + troupe::type_name<T>() + ": " +
                      e.what());
    }
    if (buffer.remaining() != 0)
      throw TypeError("corrupt encoded value of type " + troupe::type_name<T>() + ": " +
                      std::to_string(buffer.remaining()) + " trailing bytes");
    return x;
  }
  static std::size_t nbytes(const T&) { return sizeof(T); }
};

}  // namespace troupe::detail

BOOST_SERIALIZATION_REGISTER_ARCHIVE(troupe::detail::bounded_binary_iarchive)
BOOST_SERIALIZATION_USE_ARRAY_OPTIMIZATION(troupe::detail::bounded_binary_iarchive)

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
