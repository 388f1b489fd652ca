// Segmented puts (net/data_plane.hpp, TRP2 mode 3 and TRU1) over real TCP on loopback, with the
// writer made to act as one on another host (no host identity): large values arrive byte for
// byte over several connections at once; a writer that dies half-way, a segment nobody asked
// for, or a lying segment index loses only its connections, stores nothing, and the server
// keeps serving.

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/ndarray.hpp"
#include "core/wire_form.hpp"
#include "net/data_plane.hpp"
#include "net/raw_peer.hpp"

using namespace troupe;
using std::chrono::milliseconds;

namespace {

/// A data server over a map of values that puts add to.
struct store_server {
  std::mutex mutex;
  std::map<std::string, Value> values;
  net::data_server server{"127.0.0.1",
                          [this](const std::string& key) -> std::optional<Value> {
                            std::lock_guard<std::mutex> guard(mutex);
                            auto found = values.find(key);
                            if (found == values.end()) return std::nullopt;
                            return found->second;
                          },
                          {},
                          [this](const std::string& key, Value value) {
                            std::lock_guard<std::mutex> guard(mutex);
                            values[key] = std::move(value);
                            return true;
                          }};
  bool has(const std::string& key) {
    std::lock_guard<std::mutex> guard(mutex);
    return values.count(key) > 0;
  }
};

bool dropped_reaches(const net::data_server& server, std::size_t n) {
  for (int i = 0; i < 500 && server.dropped_connections() < n; ++i)
    std::this_thread::sleep_for(milliseconds(10));
  return server.dropped_connections() >= n;
}

void send_bytes(int fd, const std::string& bytes) {
  REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(bytes.size()));
}

template <class T>
T receive(int fd) {
  T x{};
  REQUIRE(::recv(fd, &x, sizeof x, MSG_WAITALL) == static_cast<ssize_t>(sizeof x));
  return x;
}

template <class T>
std::string bytes_of(T x) {
  return std::string(reinterpret_cast<const char*>(&x), sizeof x);
}

/// Starts a put of one value by hand, as a writer on another host splitting it into two
/// segments: returns the put's connection and the server's token.
std::pair<int, std::uint64_t> start_segmented_put(const std::string& address,
                                                  const std::string& key,
                                                  const wire_form& form) {
  int fd = connect_raw(address);
  send_bytes(fd, "TRP2" + bytes_of(std::uint16_t{0}) + bytes_of(std::uint32_t{1}));
  REQUIRE(receive<std::uint8_t>(fd) == 0);  // not this host
  send_bytes(fd, u32_bytes(1) + u32_bytes(static_cast<std::uint32_t>(key.size())) + key +
                     u32_bytes(static_cast<std::uint32_t>(form.header.size())) + form.header +
                     bytes_of(std::uint8_t{3}) + u32_bytes(2));
  return {fd, receive<std::uint64_t>(fd)};
}

}  // namespace

TEST_CASE("data plane: between hosts a large put goes in segments over several connections",
          "[net]") {
  std::vector<double> big(5 << 20);  // 40 MiB
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<double>(i % 999983) * 0.25;
  std::vector<Value> list{make_value(std::vector<std::int64_t>(2 << 20, -7)), Value("y")};
  std::vector<float> cells(6 << 20);  // 24 MiB
  for (std::size_t i = 0; i < cells.size(); ++i) cells[i] = static_cast<float>(i % 4099) / 7;
  const auto array = ndarray::from(cells, {3 << 10, 2 << 10});
  store_server peer;
  for (std::size_t streams : {1, 2, 3}) {
    INFO(streams << " streams");
    net::data_limits limits;
    limits.direct = false;  // as a writer on another host
    limits.streams = streams;
    const auto before = peer.server.segments_received();
    const std::string suffix = "-" + std::to_string(streams);
    auto kept = net::put_values(peer.server.address(),
                                {"big" + suffix, "small" + suffix, "list" + suffix, "array" + suffix},
                                {make_value(big), Value(11), make_value(list), make_value(array)},
                                milliseconds(60000), limits);
    CHECK(kept == std::vector<bool>(4, true));
    std::lock_guard<std::mutex> guard(peer.mutex);
    CHECK(peer.values.at("big" + suffix).get<std::vector<double>>() == big);
    CHECK(peer.values.at("small" + suffix).as<std::int64_t>() == 11);
    CHECK(peer.values.at("list" + suffix).encode() == make_value(list).encode());
    CHECK(peer.values.at("array" + suffix).get<ndarray>() == array);
    // The three values of 16 MiB or more, each in `streams` segments when more than one.
    CHECK(peer.server.segments_received() - before == (streams > 1 ? 3 * streams : 0));
  }
  CHECK(peer.server.dropped_connections() == 0);
}

TEST_CASE("data plane: a segmented put cut short or lied about stores nothing and serves on",
          "[net]") {
  store_server peer;
  {
    std::lock_guard<std::mutex> guard(peer.mutex);
    peer.values["x"] = Value(std::int64_t{42});
  }
  const auto& address = peer.server.address();
  const auto form = to_wire_form(make_value(std::vector<double>(3 << 20, 2.0)));  // 24 MiB
  const std::string half(form.body_size() / 2, 'z');

  // Segment 0 whole, then the writer goes without sending segment 1.
  auto [gone, token] = start_segmented_put(address, "gone", form);
  (void)token;
  send_bytes(gone, half);
  ::close(gone);
  REQUIRE(dropped_reaches(peer.server, 1));

  // Segment 1 cut short and segment 0 never finished: both connections close.
  auto [cut, cut_token] = start_segmented_put(address, "cut", form);
  int segment = connect_raw(address);
  send_bytes(segment, "TRU1" + bytes_of(cut_token) + u32_bytes(1) + std::string(1000, 'a'));
  send_bytes(cut, std::string(1000, 'b'));
  ::close(segment);
  ::close(cut);
  REQUIRE(dropped_reaches(peer.server, 2));

  // A segment for a token the server never gave, and one for segment 0 (which comes on the
  // put's own connection): each loses its connection before a byte lands anywhere.
  auto [open_put, open_token] = start_segmented_put(address, "lied", form);
  int stranger = connect_raw(address);
  send_bytes(stranger, "TRU1" + bytes_of(open_token + 1) + u32_bytes(1) + "data");
  REQUIRE(dropped_reaches(peer.server, 3));
  int zero = connect_raw(address);
  send_bytes(zero, "TRU1" + bytes_of(open_token) + u32_bytes(0) + "data");
  REQUIRE(dropped_reaches(peer.server, 4));
  for (int fd : {stranger, zero, open_put}) ::close(fd);
  REQUIRE(dropped_reaches(peer.server, 5));  // the put whose first segment never came

  CHECK_FALSE(peer.has("gone"));
  CHECK_FALSE(peer.has("cut"));
  CHECK_FALSE(peer.has("lied"));
  auto got = net::fetch_values(address, {"x"}, milliseconds(5000));
  REQUIRE(got[0].has_value());
  CHECK(got[0]->as<std::int64_t>() == 42);
  // And a real segmented put still goes through.
  net::data_limits limits;
  limits.direct = false;
  std::vector<double> values(3 << 20);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i);
  CHECK(net::put_values(address, {"after"}, {make_value(values)}, milliseconds(30000), limits) ==
        std::vector<bool>{true});
  std::lock_guard<std::mutex> guard(peer.mutex);
  CHECK(peer.values.at("after").get<std::vector<double>>() == values);
}
