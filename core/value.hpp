#pragma once
// Value: the immutable, type-erased result of a task. Scalars (none, bool, int64, float64) live
// inline; everything else is one shared, immutable heap object, so copying a Value never copies
// the data: within a process values move by shared pointer and are never serialised.

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <typeindex>
#include <vector>

#include "core/codec.hpp"
#include "core/error.hpp"
#include "core/type_name.hpp"

namespace troupe {

class Value;

namespace detail {

struct value_object;
using value_object_ref = std::shared_ptr<const value_object>;

/// The heap part of a non-scalar Value. Immutable once made, but created non-const (and held
/// through a pointer to const), so that a list or map nobody else holds may move its children
/// out while it is destroyed (see release_children).
struct value_object {
  virtual ~value_object() = default;
  virtual std::type_index type() const noexcept = 0;
  virtual const std::string& type_name() const noexcept = 0;
  /// Bytes held, computed once when the object was made (see object_nbytes).
  std::size_t nbytes() const noexcept { return nbytes_; }
  virtual bool codable() const noexcept = 0;
  virtual void encode(byte_writer& out) const = 0;
  virtual const void* address() const noexcept = 0;
  /// Moves the child objects that only this object owns onto `sole` and drops its references
  /// to the others. Called only while the object is being destroyed (destroy_children), so
  /// nested values are released by a loop, never by recursive destructors (a 200,000-deep
  /// list would overflow the stack).
  virtual void release_children(std::vector<value_object_ref>& /*sole*/) noexcept {}

 protected:
  std::size_t nbytes_ = 0;
};

using value_decoder = Value (*)(byte_reader&);

/// Registers the decoder for a type name; returns true (for static registration).
bool register_decoder(const std::string& type_name, value_decoder decoder);

template <class T>
Value decode_as(byte_reader& in);

/// Registers T's decoder before main in every binary that can hold a T in a Value.
template <class T>
struct decoder_registration {
  static const bool done;
};

/// Bytes a value of type T holds, for its object's cached size. Lists and maps of Values
/// count each distinct child object once (see value.cpp); everything else asks its codec.
template <class T>
std::size_t object_nbytes(const T& x) {
  return codec<T>::nbytes(x);
}
std::size_t object_nbytes(const std::vector<Value>& items);
std::size_t object_nbytes(const std::map<std::string, Value>& items);

/// The containers of Values whose objects release their children iteratively.
template <class T>
inline constexpr bool holds_values_v =
    std::is_same_v<T, std::vector<Value>> || std::is_same_v<T, std::map<std::string, Value>>;

/// Releases `object`'s children without recursion (called by its destructor).
void destroy_children(value_object& object) noexcept;

/// Moves `v`'s object onto `sole` when `v` is its only owner, else drops `v`'s reference.
void release_child(Value& v, std::vector<value_object_ref>& sole) noexcept;

template <class T>
struct value_object_of final : value_object {
  explicit value_object_of(T x) : value(std::move(x)) {
    if constexpr (codec<T>::available) (void)decoder_registration<T>::done;
    nbytes_ = object_nbytes(value);
  }
  ~value_object_of() override {
    if constexpr (holds_values_v<T>) destroy_children(*this);
  }
  std::type_index type() const noexcept override { return typeid(T); }
  const std::string& type_name() const noexcept override {
    static const std::string name = troupe::type_name<T>();
    return name;
  }
  bool codable() const noexcept override { return codec<T>::available; }
  void encode(byte_writer& out) const override;
  const void* address() const noexcept override { return &value; }
  void release_children(std::vector<value_object_ref>& sole) noexcept override {
    if constexpr (std::is_same_v<T, std::vector<Value>>) {
      for (auto& item : value) release_child(item, sole);
    } else if constexpr (std::is_same_v<T, std::map<std::string, Value>>) {
      for (auto& entry : value) release_child(entry.second, sole);
    }
  }
  T value;
};

[[noreturn]] void throw_type_error(const std::string& expected, const Value& actual);

/// OverflowError "VALUE (FROM) is out of range for TO [MIN, MAX]".
[[noreturn]] void throw_out_of_range(const std::string& value, const std::string& from_type,
                                     const std::string& to_type, const std::string& min,
                                     const std::string& max);

/// A number in decimal; floating point in the shortest form that reads back exactly.
std::string number_text(std::int64_t x);
std::string number_text(std::uint64_t x);
std::string number_text(float x);
std::string number_text(double x);
std::string number_text(long double x);

template <class T>
std::string number_text_of(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    return number_text(x);
  } else if constexpr (std::is_signed_v<T>) {
    return number_text(static_cast<std::int64_t>(x));
  } else {
    return number_text(static_cast<std::uint64_t>(x));
  }
}

/// OverflowError: `x` of type From does not fit in To.
template <class To, class From>
[[noreturn]] void throw_overflow(From x) {
  throw_out_of_range(number_text_of(x), troupe::type_name<From>(), troupe::type_name<To>(),
                     number_text_of(std::numeric_limits<To>::lowest()),
                     number_text_of(std::numeric_limits<To>::max()));
}

/// True when every T boxes into a Value exactly: bool, integers that fit in int64, float and
/// double. Boxing anything else checks the range (and may throw OverflowError).
template <class T>
inline constexpr bool boxes_exactly_v = [] {
  if constexpr (std::is_same_v<T, bool>) {
    return true;
  } else if constexpr (std::is_integral_v<T>) {
    return std::is_signed_v<T> ? sizeof(T) <= sizeof(std::int64_t)
                               : sizeof(T) < sizeof(std::int64_t);
  } else {
    return sizeof(T) <= sizeof(double);
  }
}();

/// True when the int64 `x` fits in the integer type T.
template <class T>
constexpr bool int64_fits(std::int64_t x) noexcept {
  using limits = std::numeric_limits<T>;
  if constexpr (std::is_signed_v<T>) {
    if constexpr (sizeof(T) >= sizeof(std::int64_t)) return true;
    return x >= static_cast<std::int64_t>(limits::min()) &&
           x <= static_cast<std::int64_t>(limits::max());
  } else {
    if constexpr (sizeof(T) >= sizeof(std::int64_t)) return x >= 0;
    return x >= 0 && static_cast<std::uint64_t>(x) <= static_cast<std::uint64_t>(limits::max());
  }
}

}  // namespace detail

class Value {
 public:
  enum class kind : std::uint8_t { none, boolean, int64, float64, object };

  /// The none value (Python's None).
  Value() noexcept : kind_(kind::none), int_(0) {}

  /// Boxes a number: bool and integers as int64, floating point as float64. OverflowError
  /// when the number does not fit (an unsigned above INT64_MAX, a long double beyond double).
  template <class T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  Value(T x) noexcept(detail::boxes_exactly_v<T>) {  // NOLINT(google-explicit-constructor)
    if constexpr (std::is_same_v<T, bool>) {
      kind_ = kind::boolean;
      bool_ = x;
    } else if constexpr (std::is_integral_v<T>) {
      if constexpr (!detail::boxes_exactly_v<T>) {
        if (static_cast<std::uint64_t>(x) >
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
          detail::throw_overflow<std::int64_t>(x);
      }
      kind_ = kind::int64;
      int_ = static_cast<std::int64_t>(x);
    } else {
      if constexpr (!detail::boxes_exactly_v<T>) {
        if (std::isfinite(x) && (x > std::numeric_limits<double>::max() ||
                                 x < std::numeric_limits<double>::lowest()))
          detail::throw_overflow<double>(x);
      }
      kind_ = kind::float64;
      float_ = static_cast<double>(x);
    }
  }
  Value(const char* s) : Value(std::string(s)) {}  // NOLINT(google-explicit-constructor)
  Value(std::string s) : Value(from(std::move(s))) {}  // NOLINT(google-explicit-constructor)
  Value(std::vector<Value> items);  // NOLINT(google-explicit-constructor): a list

  /// Boxes any value: scalars inline, anything else as one shared immutable object.
  template <class T>
  static Value from(T&& x) {
    using U = std::decay_t<T>;
    if constexpr (std::is_same_v<U, Value>) {
      return std::forward<T>(x);
    } else if constexpr (std::is_same_v<U, const char*> || std::is_same_v<U, char*>) {
      return from(std::string(x));
    } else if constexpr (std::is_arithmetic_v<U>) {
      return Value(x);
    } else {
      Value v;
      v.kind_ = kind::object;
      // Non-const, so that its destructor may move out children it alone owns.
      v.object_ = std::make_shared<detail::value_object_of<U>>(std::forward<T>(x));
      return v;
    }
  }

  kind type_kind() const noexcept { return kind_; }
  bool is_none() const noexcept { return kind_ == kind::none; }
  /// The stable type name: "none", "bool", "int64", "float64", "string", "list", "vector<int64>"...
  const std::string& type_name() const noexcept;
  /// Bytes of memory this value holds (for memory accounting): sizeof(Value) for a scalar, else
  /// the size its object computed once when it was made (O(1) here). A list counts its item
  /// slots plus each distinct item object once; see object_nbytes in value.cpp.
  std::size_t nbytes() const noexcept;

  /// True when the value holds exactly a T (scalars: the matching C++ arithmetic kind).
  template <class T>
  bool holds() const noexcept;

  /// The held object of exactly type T, by reference; TypeError otherwise.
  template <class T>
  const T& get() const;

  /// The value converted to T as Python would allow: int64 -> float64, bool -> int64,
  /// list <-> vector<U> element by element. TypeError names both types otherwise; OverflowError
  /// names the value and T's range when it does not fit in T (2^40 -> int32, a negative int64
  /// -> any unsigned, a finite float64 beyond float32's range -> float).
  template <class T>
  T as() const;

  /// Encodes type name and payload; TypeError when the type has no codec.
  void encode(byte_writer& out) const;
  std::string encode() const;
  /// Decodes what encode wrote. TypeError on a corrupt buffer, an unknown type name, or values
  /// nested deeper than max_decode_depth (the top value is at depth 1).
  static Value decode(byte_reader& in);
  static Value decode(std::string_view bytes);
  static constexpr std::size_t max_decode_depth = 1000;

  /// Shared ownership of the heap part (nullptr for scalars), for identity checks.
  const void* object_address() const noexcept { return object_ ? object_->address() : nullptr; }

 private:
  kind kind_;
  union {
    bool bool_;
    std::int64_t int_;
    double float_;
  };
  friend void detail::release_child(Value&, std::vector<detail::value_object_ref>&) noexcept;
  detail::value_object_ref object_;
};

template <class T>
Value make_value(T&& x) {
  return Value::from(std::forward<T>(x));
}

// --- implementation -------------------------------------------------------------------------

namespace detail {

template <class T>
void value_object_of<T>::encode(byte_writer& out) const {
  if constexpr (codec<T>::available) {
    codec<T>::encode(value, out);
  } else {
    throw TypeError("values of type " + type_name() +
                    " cannot be encoded: register the type with TROUPE_REGISTER_TYPE(" +
                    type_name() + ") and give it a Boost.Serialization serialize()");
  }
}

template <class T>
Value decode_as(byte_reader& in) {
  return Value::from(codec<T>::decode(in));
}

template <class T>
const bool decoder_registration<T>::done = register_decoder(troupe::type_name<T>(), &decode_as<T>);

template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

}  // namespace detail

template <>
struct codec<Value> {
  static constexpr bool available = true;
  static constexpr std::size_t min_encoded_size = 8;  ///< the type name's length
  static void encode(const Value& x, byte_writer& out) { x.encode(out); }
  static Value decode(byte_reader& in) { return Value::decode(in); }
  static std::size_t nbytes(const Value& x) { return x.nbytes(); }
};

template <>
struct type_name_of<std::vector<Value>> {
  static std::string get() { return "list"; }
};
template <>
struct type_name_of<Value> {
  static std::string get() { return "value"; }
};

template <class T>
bool Value::holds() const noexcept {
  if constexpr (std::is_same_v<T, bool>) {
    return kind_ == kind::boolean;
  } else if constexpr (std::is_integral_v<T>) {
    return kind_ == kind::int64;
  } else if constexpr (std::is_floating_point_v<T>) {
    return kind_ == kind::float64;
  } else {
    return object_ && object_->type() == std::type_index(typeid(T));
  }
}

template <class T>
const T& Value::get() const {
  static_assert(!std::is_arithmetic_v<T>, "scalars are read with as<T>()");
  if (!holds<T>()) detail::throw_type_error(troupe::type_name<T>(), *this);
  return *static_cast<const T*>(object_->address());
}

template <class T>
T Value::as() const {
  using U = std::decay_t<T>;
  if constexpr (std::is_same_v<U, Value>) {
    return *this;
  } else if constexpr (std::is_same_v<U, bool>) {
    if (kind_ == kind::boolean) return bool_;
    detail::throw_type_error("bool", *this);
  } else if constexpr (std::is_integral_v<U>) {
    if (kind_ == kind::int64) {
      if (!detail::int64_fits<U>(int_)) detail::throw_overflow<U>(int_);
      return static_cast<U>(int_);
    }
    if (kind_ == kind::boolean) return static_cast<U>(bool_);
    detail::throw_type_error(troupe::type_name<U>(), *this);
  } else if constexpr (std::is_floating_point_v<U>) {
    if (kind_ == kind::float64) {
      if constexpr (sizeof(U) < sizeof(double)) {
        if (std::isfinite(float_) && (float_ > std::numeric_limits<U>::max() ||
                                      float_ < std::numeric_limits<U>::lowest()))
          detail::throw_overflow<U>(float_);
      }
      return static_cast<U>(float_);
    }
    if (kind_ == kind::int64) return static_cast<U>(int_);
    if (kind_ == kind::boolean) return static_cast<U>(bool_);
    detail::throw_type_error(troupe::type_name<U>(), *this);
  } else if constexpr (std::is_same_v<U, std::vector<Value>>) {
    if (holds<U>()) return get<U>();
    detail::throw_type_error("list", *this);
  } else if constexpr (detail::is_vector<U>::value) {
    if (holds<U>()) return get<U>();
    if (holds<std::vector<Value>>()) {
      const auto& items = get<std::vector<Value>>();
      U out;
      out.reserve(items.size());
      for (const auto& item : items) out.push_back(item.as<typename U::value_type>());
      return out;
    }
    detail::throw_type_error(troupe::type_name<U>(), *this);
  } else {
    return get<U>();
  }
}

}  // namespace troupe
