// Both ends of a data-plane round trip between two processes (tests/net/test_wire_between.py
// runs them on one host, and on two hosts made of network namespaces). The values: every
// built-in type and a registered user type (wire_test_values), and three past the segmented
// threshold, so between hosts they cross in segments and on one host by direct copy.
//
//   wire_peer serve HOST   serves the values on HOST (port chosen), prints "address tcp://..."
//                          and keeps every value put to it; when stdin closes it compares the
//                          puts with the values byte for byte, prints "puts ok N, in segments
//                          S, copied D" (D direct copies: fetched from it and put to it), exits
//                          0 (1 and what differed otherwise)
//   wire_peer fetch ADDR   fetches every value from ADDR and compares it byte for byte, then
//                          puts each back; prints "fetched ok N, large L, huge H, direct D,
//                          segmented S" (L values of direct_copy_threshold bytes or more, H of
//                          segmented_threshold or more), exits 0 (1 and what differed otherwise)

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/ndarray.hpp"
#include "core/wire_form.hpp"
#include "core/wire_test_values.hpp"
#include "net/data_plane.hpp"

using namespace troupe;

namespace {

std::vector<Value> values_to_move() {
  auto values = wire_test_values();
  std::vector<double> doubles(5 << 20);  // 40 MiB
  for (std::size_t i = 0; i < doubles.size(); ++i) doubles[i] = static_cast<double>(i) / 7;
  values.push_back(make_value(doubles));
  std::vector<std::int64_t> counts(3 << 20);  // 24 MiB in an ndarray
  for (std::size_t i = 0; i < counts.size(); ++i) counts[i] = static_cast<std::int64_t>(i) * -3;
  values.push_back(make_value(ndarray::from(counts, {3 << 10, 1 << 10})));
  values.push_back(make_value(std::vector<Value>{make_value(std::string(20 << 20, 'w')), Value(1)}));
  return values;
}

std::string key_of(std::size_t i) { return "value-" + std::to_string(i); }

/// Where `got` differs from `want` byte for byte, or empty.
std::string difference(std::size_t i, const std::optional<Value>& got, const Value& want) {
  if (!got) return key_of(i) + " (" + want.type_name() + ") is missing";
  if (got->type_name() != want.type_name())
    return key_of(i) + " came back as " + got->type_name() + ", not " + want.type_name();
  if (got->encode() != want.encode())
    return key_of(i) + " (" + want.type_name() + ") came back with other bytes";
  return {};
}

int serve(const std::string& host) {
  const auto values = values_to_move();
  std::mutex mutex;
  std::map<std::string, Value> puts;
  net::data_server server(
      host,
      [&](const std::string& key) -> std::optional<Value> {
        for (std::size_t i = 0; i < values.size(); ++i)
          if (key == key_of(i)) return values[i];
        return std::nullopt;
      },
      {},
      [&](const std::string& key, Value value) {
        std::lock_guard<std::mutex> guard(mutex);
        puts[key] = std::move(value);
        return true;
      });
  std::cout << "address " << server.address() << std::endl;
  for (std::string line; std::getline(std::cin, line);) {
  }
  std::lock_guard<std::mutex> guard(mutex);
  int failed = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    auto found = puts.find("put-" + key_of(i));
    std::optional<Value> got;
    if (found != puts.end()) got = found->second;
    if (auto why = difference(i, got, values[i]); !why.empty()) {
      std::cout << "put " << why << std::endl;
      ++failed;
    }
  }
  if (failed != 0) return 1;
  std::cout << "puts ok " << values.size() << ", in segments " << server.segments_received()
            << ", copied " << server.direct_copies() << std::endl;
  return 0;
}

int fetch(const std::string& address) {
  const auto values = values_to_move();
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < values.size(); ++i) keys.push_back(key_of(i));
  net::fetch_counts counts;
  auto got = net::fetch_values(address, keys, std::chrono::seconds(60), {}, &counts);
  int failed = 0;
  for (std::size_t i = 0; i < values.size(); ++i)
    if (auto why = difference(i, got[i], values[i]); !why.empty()) {
      std::cout << "fetch " << why << std::endl;
      ++failed;
    }
  std::vector<std::string> put_keys;
  for (const auto& key : keys) put_keys.push_back("put-" + key);
  auto kept = net::put_values(address, put_keys, values, std::chrono::seconds(60));
  for (std::size_t i = 0; i < kept.size(); ++i)
    if (!kept[i]) {
      std::cout << "put of " << keys[i] << " refused" << std::endl;
      ++failed;
    }
  if (failed != 0) return 1;
  std::size_t large = 0, huge = 0;
  for (const auto& value : values) {
    const auto body = to_wire_form(value).body_size();
    large += body >= net::direct_copy_threshold ? 1 : 0;
    huge += body >= net::segmented_threshold ? 1 : 0;
  }
  std::cout << "fetched ok " << values.size() << ", large " << large << ", huge " << huge
            << ", direct " << counts.direct << ", segmented " << counts.segmented << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 3 ? argv[1] : "";
  try {
    if (mode == "serve") return serve(argv[2]);
    if (mode == "fetch") return fetch(argv[2]);
  } catch (const std::exception& e) {
    std::cout << mode << " failed: " << e.what() << std::endl;
    return 1;
  }
  std::cerr << "usage: wire_peer serve HOST | wire_peer fetch tcp://HOST:PORT" << std::endl;
  return 2;
}
