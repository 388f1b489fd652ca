#include "cli/json_output.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <system_error>
#include <vector>

#include "core/assert.hpp"

namespace troupe::cli {

namespace {

// Text gathered in a buffer and handed to the stream in large pieces.
class json_sink {
 public:
  explicit json_sink(std::ostream& out) : out_(out) { buffer_.reserve(flush_size + 256); }
  ~json_sink() { flush(); }
  json_sink(const json_sink&) = delete;
  json_sink& operator=(const json_sink&) = delete;

  void put(char c) {
    buffer_.push_back(c);
    if (buffer_.size() >= flush_size) flush();
  }
  void put(std::string_view text) {
    buffer_.append(text);
    if (buffer_.size() >= flush_size) flush();
  }
  void flush() {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
  }

 private:
  static constexpr std::size_t flush_size = 1 << 16;
  std::ostream& out_;
  std::string buffer_;
};

void put_string(json_sink& sink, std::string_view text) {
  // Printable ASCII with nothing to escape, the common case, is copied as it is.
  bool plain = true;
  for (unsigned char c : text) {
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  }
  if (plain) {
    sink.put('"');
    sink.put(text);
    sink.put('"');
    return;
  }
  // nlohmann escapes the rest; `replace` turns invalid UTF-8 into U+FFFD instead of throwing.
  sink.put(nlohmann::json(std::string(text))
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void put_int(json_sink& sink, std::int64_t x) {
  char text[24];
  auto [end, ec] = std::to_chars(text, text + sizeof text, x);
  TROUPE_ASSERT(ec == std::errc());
  sink.put(std::string_view(text, static_cast<std::size_t>(end - text)));
}

// Writes a leaf (anything but a list of Values).
void put_leaf(json_sink& sink, const Value& value) {
  switch (value.type_kind()) {
    case Value::kind::none:
      sink.put("null");
      return;
    case Value::kind::boolean:
      sink.put(value.as<bool>() ? "true" : "false");
      return;
    case Value::kind::int64:
      put_int(sink, value.as<std::int64_t>());
      return;
    case Value::kind::float64:
      sink.put(json_number(value.as<double>()));
      return;
    case Value::kind::object:
      break;
  }
  if (value.holds<std::string>()) {
    put_string(sink, value.get<std::string>());
  } else if (value.holds<std::vector<std::int64_t>>()) {
    const auto& items = value.get<std::vector<std::int64_t>>();
    sink.put('[');
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i != 0) sink.put(',');
      put_int(sink, items[i]);
    }
    sink.put(']');
  } else if (value.holds<std::vector<double>>()) {
    const auto& items = value.get<std::vector<double>>();
    sink.put('[');
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i != 0) sink.put(',');
      sink.put(json_number(items[i]));
    }
    sink.put(']');
  } else {
    put_string(sink, "<" + value.type_name() + ">");
  }
}

void put_value(json_sink& sink, const Value& value) {
  using list = std::vector<Value>;
  if (!value.holds<list>()) {
    put_leaf(sink, value);
    return;
  }
  // The lists being written, each with the index of its next item.
  struct open_list {
    const list* items;
    std::size_t next;
  };
  std::vector<open_list> open{{&value.get<list>(), 0}};
  sink.put('[');
  while (!open.empty()) {
    auto& top = open.back();
    if (top.next == top.items->size()) {
      sink.put(']');
      open.pop_back();
      continue;
    }
    if (top.next != 0) sink.put(',');
    const Value& item = (*top.items)[top.next++];
    if (item.holds<list>()) {
      sink.put('[');
      open.push_back({&item.get<list>(), 0});  // `top` is not used after this
    } else {
      put_leaf(sink, item);
    }
  }
}

}  // namespace

std::string json_number(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x < 0 ? "-Infinity" : "Infinity";
  // The shortest digits that read back as x, then laid out as Python's repr does: positional
  // when the decimal point falls within -4 < point <= 16, else d.ddde+XX.
  char text[32];
  auto [end, ec] = std::to_chars(text, text + sizeof text, x, std::chars_format::scientific);
  TROUPE_ASSERT(ec == std::errc());
  std::string_view sci(text, static_cast<std::size_t>(end - text));  // "-1.2345e+15"
  std::string out;
  if (sci.front() == '-') {
    out.push_back('-');
    sci.remove_prefix(1);
  }
  auto e = sci.find('e');
  TROUPE_ASSERT(e != std::string_view::npos);
  std::string digits(sci.substr(0, e));
  if (digits.size() > 1) digits.erase(1, 1);  // the '.'
  int exponent = 0;
  std::from_chars(sci.data() + e + (sci[e + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exponent);
  int point = exponent + 1;  // x = 0.DIGITS * 10^point
  auto n = static_cast<int>(digits.size());
  if (point > -4 && point <= 16) {
    if (point <= 0) {
      out += "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
    } else if (point < n) {
      out += digits.substr(0, static_cast<std::size_t>(point)) + "." +
             digits.substr(static_cast<std::size_t>(point));
    } else {
      out += digits + std::string(static_cast<std::size_t>(point - n), '0') + ".0";
    }
  } else {
    out += digits.substr(0, 1);
    if (n > 1) out += "." + digits.substr(1);
    out += exponent < 0 ? "e-" : "e+";
    auto magnitude = std::to_string(std::abs(exponent));
    if (magnitude.size() < 2) out += '0';
    out += magnitude;
  }
  return out;
}

void write_json(std::ostream& out, const Value& value) {
  json_sink sink(out);
  put_value(sink, value);
}

std::string to_json_text(const Value& value) {
  std::ostringstream out;
  write_json(out, value);
  return std::move(out).str();
}

void write_json_object(std::ostream& out, const std::vector<std::string>& keys,
                       const std::vector<Value>& values) {
  TROUPE_ASSERT(keys.size() == values.size());
  json_sink sink(out);
  sink.put('{');
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i != 0) sink.put(',');
    put_string(sink, keys[i]);
    sink.put(':');
    put_value(sink, values[i]);
  }
  sink.put('}');
}

void write_json_string(std::ostream& out, std::string_view text) {
  json_sink sink(out);
  put_string(sink, text);
}

}  // namespace troupe::cli
