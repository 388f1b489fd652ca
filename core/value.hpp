#pragma once
// Value: the immutable, type-erased result of a task. Scalars (none, bool, int64, float64) live
// inline; everything else is one shared, immutable heap object, so copying a Value never copies
// the data: within a process values move by shared pointer and are never serialised.

#include <cstdint>
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

/// The heap part of a non-scalar Value.
struct value_object {
  virtual ~value_object() = default;
  virtual std::type_index type() const noexcept = 0;
  virtual const std::string& type_name() const noexcept = 0;
  virtual std::size_t nbytes() const noexcept = 0;
  virtual bool codable() const noexcept = 0;
  virtual void encode(byte_writer& out) const = 0;
  virtual const void* address() const noexcept = 0;
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

template <class T>
struct value_object_of final : value_object {
  explicit value_object_of(T x) : value(std::move(x)) {
    if constexpr (codec<T>::available) (void)decoder_registration<T>::done;
  }
  std::type_index type() const noexcept override { return typeid(T); }
  const std::string& type_name() const noexcept override {
    static const std::string name = troupe::type_name<T>();
    return name;
  }
  std::size_t nbytes() const noexcept override { return codec<T>::nbytes(value); }
  bool codable() const noexcept override { return codec<T>::available; }
  void encode(byte_writer& out) const override;
  const void* address() const noexcept override { return &value; }
  T value;
};

[[noreturn]] void throw_type_error(const std::string& expected, const Value& actual);

}  // namespace detail

class Value {
 public:
  enum class kind : std::uint8_t { none, boolean, int64, float64, object };

  /// The none value (Python's None).
  Value() noexcept : kind_(kind::none), int_(0) {}

  template <class T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  Value(T x) noexcept {  // NOLINT(google-explicit-constructor): scalars box implicitly
    if constexpr (std::is_same_v<T, bool>) {
      kind_ = kind::boolean;
      bool_ = x;
    } else if constexpr (std::is_integral_v<T>) {
      kind_ = kind::int64;
      int_ = static_cast<std::int64_t>(x);
    } else {
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
      v.object_ = std::make_shared<const detail::value_object_of<U>>(std::forward<T>(x));
      return v;
    }
  }

  kind type_kind() const noexcept { return kind_; }
  bool is_none() const noexcept { return kind_ == kind::none; }
  /// The stable type name: "none", "bool", "int64", "float64", "string", "list", "vector<int64>"...
  const std::string& type_name() const noexcept;
  /// Bytes of memory this value holds (for memory accounting).
  std::size_t nbytes() const noexcept;

  /// True when the value holds exactly a T (scalars: the matching C++ arithmetic kind).
  template <class T>
  bool holds() const noexcept;

  /// The held object of exactly type T, by reference; TypeError otherwise.
  template <class T>
  const T& get() const;

  /// The value converted to T as Python would allow: int64 -> float64, bool -> int64,
  /// list <-> vector<U> element by element. TypeError names both types otherwise.
  template <class T>
  T as() const;

  /// Encodes type name and payload; TypeError when the type has no codec.
  void encode(byte_writer& out) const;
  std::string encode() const;
  static Value decode(byte_reader& in);
  static Value decode(std::string_view bytes);

  /// Shared ownership of the heap part (nullptr for scalars), for identity checks.
  const void* object_address() const noexcept { return object_ ? object_->address() : nullptr; }

 private:
  kind kind_;
  union {
    bool bool_;
    std::int64_t int_;
    double float_;
  };
  std::shared_ptr<const detail::value_object> object_;
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
    if (kind_ == kind::int64) return static_cast<U>(int_);
    if (kind_ == kind::boolean) return static_cast<U>(bool_);
    detail::throw_type_error(troupe::type_name<U>(), *this);
  } else if constexpr (std::is_floating_point_v<U>) {
    if (kind_ == kind::float64) return static_cast<U>(float_);
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
