#include "core/value.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace troupe {

std::string demangle(const char* mangled_name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> readable(
      abi::__cxa_demangle(mangled_name, nullptr, nullptr, &status), std::free);
  return status == 0 && readable ? std::string(readable.get()) : std::string(mangled_name);
}

namespace detail {

namespace {

struct decoder_table {
  std::mutex mutex;
  std::unordered_map<std::string, value_decoder> decoders;
};

decoder_table& decoders() {
  static decoder_table table;
  return table;
}

}  // namespace

bool register_decoder(const std::string& type_name, value_decoder decoder) {
  auto& table = decoders();
  std::lock_guard<std::mutex> guard(table.mutex);
  table.decoders.emplace(type_name, decoder);
  return true;
}

void throw_type_error(const std::string& expected, const Value& actual) {
  throw TypeError("expected a value of type " + expected + ", got " + actual.type_name());
}

void throw_out_of_range(const std::string& value, const std::string& from_type,
                        const std::string& to_type, const std::string& min,
                        const std::string& max) {
  throw OverflowError(value + " (" + from_type + ") is out of range for " + to_type + " [" + min +
                      ", " + max + "]");
}

std::string number_text(std::int64_t x) { return std::to_string(x); }
std::string number_text(std::uint64_t x) { return std::to_string(x); }
namespace {
template <class T>
std::string shortest_text(T x) {
  char text[64];
  auto [end, ec] = std::to_chars(text, text + sizeof(text), x);
  return ec == std::errc() ? std::string(text, end) : std::to_string(x);
}
}  // namespace

std::string number_text(float x) { return shortest_text(x); }
std::string number_text(double x) { return shortest_text(x); }
std::string number_text(long double x) { return shortest_text(x); }

// --- sizes ------------------------------------------------------------------------------------
//
// An object's size is computed once, when it is made, from its children's cached sizes, so
// asking nbytes() is O(1) and making a list is O(items log items). "Counted once" means exactly:
// a list (or map of Values) counts its own slots (sizeof(Value) per item; keys as strings) plus
// each distinct item object once, however many of its items share that object (deduplicated by
// object address). Sharing reached through different items is not deduplicated: in
// x = list(a, list(a)), a is counted twice, once directly and once inside list(a), as Dask's
// sizeof does not track it either. Sums saturate at SIZE_MAX instead of wrapping.

namespace {

/// Adds the sizes of the distinct objects among `children` (address, nbytes) to `total`.
std::size_t add_distinct(std::size_t total,
                         std::vector<std::pair<const void*, std::size_t>>& children) {
  std::sort(children.begin(), children.end());
  const void* previous = nullptr;
  for (const auto& [address, bytes] : children) {
    if (address == previous) continue;
    previous = address;
    total = saturating_add(total, bytes);
  }
  return total;
}

}  // namespace

std::size_t object_nbytes(const std::vector<Value>& items) {
  std::size_t total = saturating_add(sizeof(items), saturating_mul(items.size(), sizeof(Value)));
  std::vector<std::pair<const void*, std::size_t>> children;
  for (const auto& item : items)
    if (const void* address = item.object_address()) children.emplace_back(address, item.nbytes());
  return add_distinct(total, children);
}

std::size_t object_nbytes(const std::map<std::string, Value>& items) {
  std::size_t total = sizeof(items);
  std::vector<std::pair<const void*, std::size_t>> children;
  for (const auto& [key, item] : items) {
    total = saturating_add(total, sizeof(Value) + codec<std::string>::nbytes(key));
    if (const void* address = item.object_address()) children.emplace_back(address, item.nbytes());
  }
  return add_distinct(total, children);
}

// --- iterative destruction ------------------------------------------------------------------

void release_child(Value& v, std::vector<value_object_ref>& sole) noexcept {
  if (!v.object_) return;
  // use_count() == 1 cannot rise under us: we hold the only reference. Otherwise drop our
  // reference now, so that a child shared only among this object's own items (list(x, x)) is
  // sole-owned by the time its last item is looked at. (If another thread drops its reference
  // meanwhile, the child is destroyed right here; its destructor runs this same loop over
  // its own children, so the recursion stays one level deep.)
  if (v.object_.use_count() == 1) {
    // use_count() is a relaxed load: order the writes to come after other threads' last use.
    std::atomic_thread_fence(std::memory_order_acquire);
    try {
      sole.push_back(std::move(v.object_));
      return;
    } catch (...) {  // no memory for the work list: release it the recursive way instead
    }
  }
  v.object_.reset();
}

void destroy_children(value_object& object) noexcept {
  std::vector<value_object_ref> sole;
  object.release_children(sole);
  while (!sole.empty()) {
    value_object_ref next = std::move(sole.back());
    sole.pop_back();
    // Legal: every value_object is created non-const (Value::from), and nobody else holds it.
    const_cast<value_object&>(*next).release_children(sole);
    // `next` is destroyed here with no sole-owned children left, so without recursion.
  }
}

}  // namespace detail

namespace detail {
namespace {
// The built-in containers every process can decode, whether or not it ever builds one.
template <class... Ts>
bool register_decoders() {
  return (register_decoder(troupe::type_name<Ts>(), &decode_as<Ts>) && ...);
}
[[maybe_unused]] const bool builtins_registered = register_decoders<
    std::string, std::vector<Value>, std::vector<double>, std::vector<float>,
    std::vector<std::int64_t>, std::vector<std::int32_t>, std::vector<std::uint8_t>,
    std::vector<bool>, std::vector<std::string>, std::map<std::string, Value>,
    std::map<std::string, std::int64_t>, std::map<std::string, double>>();
}  // namespace
}  // namespace detail

Value::Value(std::vector<Value> items) : Value(from(std::move(items))) {}

const std::string& Value::type_name() const noexcept {
  static const std::string names[] = {"none", "bool", "int64", "float64"};
  if (kind_ == kind::object) return object_->type_name();
  return names[static_cast<int>(kind_)];
}

std::size_t Value::nbytes() const noexcept {
  return kind_ == kind::object ? object_->nbytes() : sizeof(Value);
}

void Value::encode(byte_writer& out) const {
  struct nesting {
    explicit nesting(byte_writer& out) : out(out) {
      if (out.enter_nested() <= max_decode_depth) return;
      out.leave_nested();
      throw TypeError("cannot encode a value nested more than " +
                      std::to_string(max_decode_depth) +
                      " levels deep (Value::max_decode_depth; no process would decode it): "
                      "flatten it or split it over several values");
    }
    ~nesting() { out.leave_nested(); }
    byte_writer& out;
  } depth_guard(out);
  out.write_string(type_name());
  switch (kind_) {
    case kind::none:
      break;
    case kind::boolean:
      codec<bool>::encode(bool_, out);
      break;
    case kind::int64:
      out.write_pod(int_);
      break;
    case kind::float64:
      out.write_pod(float_);
      break;
    case kind::object:
      object_->encode(out);
      break;
  }
}

std::string Value::encode() const {
  byte_writer out;
  encode(out);
  return out.take();
}

Value Value::decode(byte_reader& in) {
  struct nesting {
    explicit nesting(byte_reader& in) : in(in) {
      if (in.enter_nested() <= max_decode_depth) return;
      in.leave_nested();
      throw TypeError("cannot decode a value nested " + std::to_string(in.depth() + 1) +
                      " levels deep: the limit is " + std::to_string(max_decode_depth) +
                      " levels (Value::max_decode_depth)");
    }
    ~nesting() { in.leave_nested(); }
    byte_reader& in;
  } depth_guard(in);
  auto name = in.read_string();
  if (name == "none") return Value();
  if (name == "bool") return Value(codec<bool>::decode(in));
  if (name == "int64") return Value(in.read_pod<std::int64_t>());
  if (name == "float64") return Value(in.read_pod<double>());
  detail::value_decoder decoder = nullptr;
  {
    auto& table = detail::decoders();
    std::lock_guard<std::mutex> guard(table.mutex);
    auto i = table.decoders.find(name);
    if (i != table.decoders.end()) decoder = i->second;
  }
  if (decoder == nullptr)
    throw TypeError("cannot decode a value of type '" + name +
                    "': the type is not known in this process; register it with "
                    "TROUPE_REGISTER_TYPE in code linked into every process");
  return decoder(in);
}

Value Value::decode(std::string_view bytes) {
  byte_reader in(bytes);
  auto v = decode(in);
  if (!in.at_end()) throw TypeError("corrupt encoded value: trailing bytes after " + v.type_name());
  return v;
}

}  // namespace troupe
