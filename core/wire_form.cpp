#include "core/wire_form.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <unordered_map>

#include "core/ndarray.hpp"

namespace troupe {

namespace {

constexpr char wire_magic[4] = {'T', 'R', 'W', '1'};

enum class wire_kind : std::uint8_t {
  raw_vector = 1,  ///< std::vector<arithmetic>: its elements
  string = 2,      ///< std::string: its characters
  encoded = 3,     ///< anything else: Value::encode()
  array = 4,       ///< ndarray: its element bytes; the header ends with its dtype and shape
};

void put(std::string& out, const void* data, std::size_t size) {
  out.append(static_cast<const char*>(data), size);
}

template <class T>
void put_pod(std::string& out, T x) {
  put(out, &x, sizeof x);
}

std::string make_header(wire_kind kind, const std::string& type_name,
                        const std::vector<const_byte_span>& buffers,
                        const ndarray* array = nullptr) {
  std::string header;
  put(header, wire_magic, sizeof wire_magic);
  put_pod(header, static_cast<std::uint8_t>(kind));
  put_pod(header, static_cast<std::uint16_t>(type_name.size()));
  header += type_name;
  put_pod(header, static_cast<std::uint32_t>(buffers.size()));
  for (const auto& b : buffers) put_pod(header, static_cast<std::uint64_t>(b.size));
  if (array != nullptr) {
    put_pod(header, static_cast<std::uint8_t>(array->type()));
    put_pod(header, static_cast<std::uint8_t>(array->ndim()));
    for (auto extent : array->shape()) put_pod(header, extent);
  }
  return header;
}

/// Reads a header field by field, each read checked against what is left.
class header_reader {
 public:
  explicit header_reader(std::string_view bytes) : bytes_(bytes) {}
  template <class T>
  T pod() {
    T x;
    need(sizeof x);
    std::memcpy(&x, bytes_.data() + at_, sizeof x);
    at_ += sizeof x;
    return x;
  }
  std::string_view bytes(std::size_t n) {
    need(n);
    auto s = bytes_.substr(at_, n);
    at_ += n;
    return s;
  }
  bool at_end() const noexcept { return at_ == bytes_.size(); }

 private:
  void need(std::size_t n) const {
    if (bytes_.size() - at_ < n)
      throw TypeError("corrupt wire header: it ends early (" + std::to_string(bytes_.size()) +
                      " bytes)");
  }
  std::string_view bytes_;
  std::size_t at_ = 0;
};

// -- raw vector types ----------------------------------------------------------------------------

struct raw_type {
  std::size_t element_size;
  /// Storage for `bytes` bytes of elements, and how to make the Value from it.
  std::function<std::unique_ptr<wire_receiver::sink>(std::size_t count)> make_sink;
  /// The elements of a Value holding exactly this type; nullopt for any other type (one with
  /// the same name: std::vector<long long> is "vector<int64>" too, and goes encoded).
  std::function<std::optional<const_byte_span>(const Value&)> elements;
};

}  // namespace

struct wire_receiver::sink {
  virtual ~sink() = default;
  virtual char* data() = 0;
  virtual Value finish() = 0;
};

namespace {

/// Asks for transparent huge pages on a large buffer not touched yet: the buffer is then
/// faulted in 2 MiB pages instead of 4 KiB ones, and on this kind of machine page faults, not
/// copies, bound how fast fresh memory fills (an eighth of the speed of a reused buffer).
void advise_huge_pages(void* data, std::size_t bytes) {
  constexpr std::size_t huge = 2u << 20;
  if (bytes < 2 * huge) return;
  auto begin = (reinterpret_cast<std::uintptr_t>(data) + huge - 1) & ~(huge - 1);
  auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(huge - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

template <class T>
struct vector_sink final : wire_receiver::sink {
  explicit vector_sink(std::size_t count) {
    items.reserve(count);  // allocated, not touched yet
    advise_huge_pages(items.data(), count * sizeof(T));
    items.resize(count);
  }
  char* data() override { return reinterpret_cast<char*>(items.data()); }
  Value finish() override { return Value::from(std::move(items)); }
  std::vector<T> items;
};

struct string_sink final : wire_receiver::sink {
  explicit string_sink(std::size_t size) : text(size, '\0') {}
  char* data() override { return text.data(); }
  Value finish() override { return Value(std::move(text)); }
  std::string text;
};

/// An ndarray's storage comes from the buffer pool: a chunk of a size received before lands
/// in memory already faulted in, and nothing zero-fills it first.
struct array_sink final : wire_receiver::sink {
  explicit array_sink(ndarray a) : array(std::move(a)) {}
  char* data() override { return reinterpret_cast<char*>(array.mutable_bytes()); }
  Value finish() override {
    check_bool_bytes(array);
    return Value::from(std::move(array));
  }
  ndarray array;
};

struct encoded_sink final : wire_receiver::sink {
  explicit encoded_sink(std::size_t size) : bytes(size, '\0') {}
  char* data() override { return bytes.data(); }
  Value finish() override {
    byte_reader in(bytes);
    auto value = Value::decode(in);
    if (!in.at_end())
      throw TypeError("corrupt wire body: " + std::to_string(in.remaining()) +
                      " bytes after the encoded value");
    return value;
  }
  std::string bytes;
};

template <class T>
void add_raw(std::unordered_map<std::string, raw_type>& table) {
  table.emplace(type_name<std::vector<T>>(),
                raw_type{sizeof(T),
                         [](std::size_t count) -> std::unique_ptr<wire_receiver::sink> {
                           return std::make_unique<vector_sink<T>>(count);
                         },
                         [](const Value& v) -> std::optional<const_byte_span> {
                           if (!v.holds<std::vector<T>>()) return std::nullopt;
                           const auto& items = v.get<std::vector<T>>();
                           return const_byte_span{reinterpret_cast<const char*>(items.data()),
                                                  items.size() * sizeof(T)};
                         }});
}

const std::unordered_map<std::string, raw_type>& raw_types() {
  static const auto table = [] {
    std::unordered_map<std::string, raw_type> t;
    add_raw<std::int8_t>(t);
    add_raw<std::int16_t>(t);
    add_raw<std::int32_t>(t);
    add_raw<std::int64_t>(t);
    add_raw<std::uint8_t>(t);
    add_raw<std::uint16_t>(t);
    add_raw<std::uint32_t>(t);
    add_raw<std::uint64_t>(t);
    add_raw<float>(t);
    add_raw<double>(t);
    return t;
  }();
  return table;
}

}  // namespace

std::uint64_t wire_form::body_size() const noexcept {
  std::uint64_t total = 0;
  for (const auto& b : buffers) total += b.size;
  return total;
}

wire_form to_wire_form(Value value) {
  wire_form form;
  const auto& name = value.type_name();
  wire_kind kind = wire_kind::encoded;
  const ndarray* array = nullptr;
  if (value.holds<ndarray>()) {
    array = &value.get<ndarray>();
    form.buffers.push_back({reinterpret_cast<const char*>(array->bytes()), array->nbytes()});
    kind = wire_kind::array;
  } else if (value.holds<std::string>()) {
    const auto& text = value.get<std::string>();
    form.buffers.push_back({text.data(), text.size()});
    kind = wire_kind::string;
  } else if (auto raw = raw_types().find(name);
             raw != raw_types().end() && raw->second.elements(value)) {
    form.buffers.push_back(*raw->second.elements(value));
    kind = wire_kind::raw_vector;
  } else {
    form.encoded = std::make_shared<const std::string>(value.encode());
    form.buffers.push_back({form.encoded->data(), form.encoded->size()});
  }
  form.header = make_header(kind, kind == wire_kind::encoded ? std::string() : name, form.buffers,
                            array);
  form.value = std::move(value);
  return form;
}

wire_receiver::wire_receiver(std::string_view header, std::uint64_t limit) {
  if (header.size() > max_wire_header_size)
    throw TypeError("corrupt wire header: " + std::to_string(header.size()) +
                    " bytes, the limit is " + std::to_string(max_wire_header_size));
  header_reader in(header);
  if (in.bytes(sizeof wire_magic) != std::string_view(wire_magic, sizeof wire_magic))
    throw TypeError("corrupt wire header: it does not start with TRW1");
  auto kind = static_cast<wire_kind>(in.pod<std::uint8_t>());
  auto name = std::string(in.bytes(in.pod<std::uint16_t>()));
  auto count = in.pod<std::uint32_t>();
  if (count != 1)
    throw TypeError("corrupt wire header: " + std::to_string(count) +
                    " buffers (this version sends one)");
  auto size = in.pod<std::uint64_t>();
  if (size > limit)
    throw TypeError("wire value of " + std::to_string(size) + " bytes is over the limit of " +
                    std::to_string(limit) + " bytes");
  if (kind == wire_kind::array) {
    if (name != type_name<ndarray>())
      throw TypeError("corrupt wire header: an array kind named " + name);
    auto code = in.pod<std::uint8_t>();
    ndarray::shape_type shape(in.pod<std::uint8_t>());
    for (auto& extent : shape) extent = in.pod<std::int64_t>();
    if (!in.at_end()) throw TypeError("corrupt wire header: bytes after the array's shape");
    sink_ = std::make_unique<array_sink>(ndarray_for_body(code, std::move(shape), size));
    buffers_.push_back({sink_->data(), static_cast<std::size_t>(size)});
    return;
  }
  if (!in.at_end()) throw TypeError("corrupt wire header: bytes after the buffer sizes");
  switch (kind) {
    case wire_kind::raw_vector: {
      auto raw = raw_types().find(name);
      if (raw == raw_types().end())
        throw TypeError("corrupt wire header: '" + name + "' is not a raw vector type");
      if (size % raw->second.element_size != 0)
        throw TypeError("corrupt wire header: " + std::to_string(size) + " bytes is not a whole "
                        "number of " + name + " elements");
      sink_ = raw->second.make_sink(size / raw->second.element_size);
      break;
    }
    case wire_kind::string:
      if (name != "string") throw TypeError("corrupt wire header: a string kind named " + name);
      sink_ = std::make_unique<string_sink>(size);
      break;
    case wire_kind::encoded:
      sink_ = std::make_unique<encoded_sink>(size);
      break;
    default:
      throw TypeError("corrupt wire header: unknown kind " +
                      std::to_string(static_cast<int>(kind)));
  }
  buffers_.push_back({sink_->data(), static_cast<std::size_t>(size)});
}

wire_receiver::~wire_receiver() = default;
wire_receiver::wire_receiver(wire_receiver&&) noexcept = default;
wire_receiver& wire_receiver::operator=(wire_receiver&&) noexcept = default;

const std::vector<byte_span>& wire_receiver::buffers() const noexcept { return buffers_; }

std::uint64_t wire_receiver::body_size() const noexcept {
  std::uint64_t total = 0;
  for (const auto& b : buffers_) total += b.size;
  return total;
}

Value wire_receiver::finish() {
  auto value = sink_->finish();
  sink_.reset();
  buffers_.clear();
  return value;
}

Value wire_round_trip(const Value& value) {
  auto form = to_wire_form(value);
  wire_receiver receiver(form.header, form.body_size());
  for (std::size_t i = 0; i < form.buffers.size(); ++i)
    if (form.buffers[i].size > 0)
      std::memcpy(receiver.buffers()[i].data, form.buffers[i].data, form.buffers[i].size);
  return receiver.finish();
}

}  // namespace troupe
