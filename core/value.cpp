#include "core/value.hpp"

#include <cxxabi.h>

#include <map>
#include <mutex>
#include <unordered_map>

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
