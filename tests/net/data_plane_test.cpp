// The data plane (net/data_plane.hpp) over real TCP on loopback: every value type comes back
// byte for byte, a missing key is nullopt, a 64 MiB vector arrives whole, and on one host large
// values are copied from the holder's memory (or the body comes on the socket when not); a peer that breaks the
// protocol loses its connection while the server keeps serving; a server that lies, stops
// answering or closes mid-value gives the fetcher a clean error, never a partial value.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/ndarray.hpp"
#include "core/wire_form.hpp"
#include "core/wire_test_values.hpp"
#include "net/address.hpp"
#include "net/data_plane.hpp"
#include "net/direct_copy.hpp"
#include "net/fetch_pool.hpp"
#include "net/raw_peer.hpp"

using namespace troupe;
using Catch::Contains;
using std::chrono::milliseconds;

namespace {

/// A data server over a map of values, which puts add to (when `keeps`).
struct served {
  std::mutex mutex;
  std::map<std::string, Value> values;
  std::unique_ptr<net::data_server> server;
  explicit served(std::map<std::string, Value> v, net::data_limits limits = {},
                  bool keeps = true, std::uint16_t port = 0)
      : values(std::move(v)) {
    net::data_server::keep store;
    if (keeps)
      store = [this](const std::string& key, Value value) {
        std::lock_guard<std::mutex> guard(mutex);
        values[key] = std::move(value);
        return true;
      };
    server = std::make_unique<net::data_server>(
        "127.0.0.1",
        [this](const std::string& key) -> std::optional<Value> {
          std::lock_guard<std::mutex> guard(mutex);
          auto found = values.find(key);
          if (found == values.end()) return std::nullopt;
          return found->second;
        },
        limits, store, port);
  }
};

/// A listening socket on loopback that the test drives by hand (a peer that misbehaves).
struct fake_peer {
  int listener = -1;
  std::string address;
  fake_peer() {
    listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in where{};
    where.sin_family = AF_INET;
    where.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&where), sizeof where) == 0);
    REQUIRE(::listen(listener, 4) == 0);
    socklen_t length = sizeof where;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&where), &length);
    address = net::address{"127.0.0.1", ntohs(where.sin_port)}.to_string();
  }
  ~fake_peer() { ::close(listener); }
};

/// Waits (a few seconds at most) for the server to count `n` dropped connections.
bool dropped_reaches(const net::data_server& server, std::size_t n) {
  for (int i = 0; i < 300 && server.dropped_connections() < n; ++i)
    std::this_thread::sleep_for(milliseconds(10));
  return server.dropped_connections() >= n;
}

}  // namespace

TEST_CASE("data plane: every value type comes back byte for byte over TCP", "[net]") {
  auto values = wire_test_values();
  std::map<std::string, Value> by_key;
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < values.size(); ++i) {
    keys.push_back("key-" + std::to_string(i));
    by_key[keys.back()] = values[i];
  }
  served peer(by_key);
  keys.push_back("not-here");
  auto got = net::fetch_values(peer.server->address(), keys, milliseconds(10000));
  REQUIRE(got.size() == keys.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    INFO(values[i].type_name());
    REQUIRE(got[i].has_value());
    CHECK(got[i]->encode() == values[i].encode());
  }
  CHECK_FALSE(got.back().has_value());
  CHECK(wire_record_counts(*got[values.size() - 1]) == std::vector<std::int64_t>{4, 5, 6});
}

TEST_CASE("data plane: a 64 MiB vector arrives whole, over TCP and by direct copy", "[net]") {
  std::vector<double> big(8 << 20);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<double>(i % 1000003) / 7;
  served peer({{"big", make_value(big)}});
  for (bool direct : {false, true}) {
    INFO((direct ? "direct copy" : "TCP"));
    net::data_limits limits;
    limits.direct = direct;
    net::fetch_counts counts;
    auto got = net::fetch_values(peer.server->address(), {"big", "big"}, milliseconds(60000),
                                 limits, &counts);
    REQUIRE(got[0].has_value());
    CHECK(got[0]->get<std::vector<double>>() == big);
    CHECK(got[1]->get<std::vector<double>>() == big);
    CHECK(counts.direct == (direct ? 2u : 0u));
  }
  CHECK(peer.server->direct_copies() == 2);
}

TEST_CASE("data plane: between hosts a large value comes in segments over several connections",
          "[net]") {
  // 40 MiB of doubles and a 20 MiB list (one encoded buffer), fetched as from another host.
  std::vector<double> big(5 << 20);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<double>(i % 999983) * 0.5;
  std::vector<Value> list{make_value(std::vector<std::int64_t>(2 << 20, -3)), Value("x")};
  served peer({{"big", make_value(big)}, {"list", make_value(list)}});
  for (std::size_t streams : {1, 2, 3}) {
    INFO(streams << " streams");
    net::data_limits limits;
    limits.direct = false;
    limits.streams = streams;
    const auto before = peer.server->ranges_sent();
    auto got = net::fetch_values(peer.server->address(), {"big", "list"}, milliseconds(60000),
                                 limits);
    CHECK(got[0]->get<std::vector<double>>() == big);
    CHECK(got[1]->encode() == make_value(list).encode());
    CHECK(peer.server->ranges_sent() - before == 2 * (streams - 1));
  }
}

TEST_CASE("data plane: a segment of a value the holder no longer has is a clean error",
          "[net]") {
  // The holder finds the value for the first segment, then it is gone.
  const std::vector<double> big(3 << 20, 4.0);  // 24 MiB
  std::atomic<int> lookups{0};
  net::data_server server("127.0.0.1", [&](const std::string&) -> std::optional<Value> {
    if (lookups++ == 0) return make_value(big);
    return std::nullopt;
  });
  net::data_limits limits;
  limits.direct = false;
  CHECK_THROWS_WITH(net::fetch_values(server.address(), {"big"}, milliseconds(10000), limits),
                    Contains("no longer has big"));
  // A range past the end of a value breaks the protocol: that connection only is dropped.
  served peer({{"v", make_value(std::vector<double>(10, 1.0))}});
  int fd = connect_raw(peer.server->address());
  const std::uint64_t offset = 0, size = 1000;
  std::string request = std::string("TRR1") + u32_bytes(1) + "v" +
                        std::string(reinterpret_cast<const char*>(&offset), 8) +
                        std::string(reinterpret_cast<const char*>(&size), 8);
  REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  CHECK(dropped_reaches(*peer.server, 1));
  ::close(fd);
  auto again = net::fetch_values(peer.server->address(), {"v"}, milliseconds(5000));
  CHECK(again[0]->get<std::vector<double>>() == std::vector<double>(10, 1.0));
}

TEST_CASE("data plane: on one host large values of every kind are copied from the holder",
          "[net]") {
  // A raw vector (one buffer), a string, and a list of vectors (one encoded buffer), each past
  // the direct-copy threshold, and a small value that goes over the socket.
  std::vector<std::int64_t> ints(300000);
  for (std::size_t i = 0; i < ints.size(); ++i) ints[i] = static_cast<std::int64_t>(i * i) - 7;
  std::string text(3 << 20, '\0');
  for (std::size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>(i * 31 + 5);
  std::vector<Value> list{make_value(std::vector<double>(200000, 2.5)), Value(7), make_value(text)};
  std::map<std::string, Value> values{{"ints", make_value(ints)},
                                      {"text", make_value(text)},
                                      {"list", make_value(list)},
                                      {"small", make_value(std::vector<double>{1.5, 2.5})}};
  served peer(values);
  net::fetch_counts counts;
  auto got = net::fetch_values(peer.server->address(), {"ints", "text", "list", "small"},
                               milliseconds(60000), {}, &counts);
  CHECK(counts.direct == 3);
  CHECK(peer.server->direct_copies() == 3);
  CHECK(got[0]->get<std::vector<std::int64_t>>() == ints);
  CHECK(got[1]->get<std::string>() == text);
  CHECK(got[2]->encode() == values["list"].encode());
  CHECK(got[3]->get<std::vector<double>>() == std::vector<double>{1.5, 2.5});
}

TEST_CASE("data plane: large values put on one host are copied from the writer", "[net]") {
  std::vector<double> big(1 << 19);  // 4 MiB
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<double>(i) / 3;
  const std::string text(2 << 20, 'q');
  served peer({});
  for (bool direct : {true, false}) {
    INFO((direct ? "direct copy" : "TCP"));
    net::data_limits limits;
    limits.direct = direct;
    const std::string suffix = direct ? "-direct" : "-tcp";
    auto kept = net::put_values(peer.server->address(), {"big" + suffix, "small" + suffix, "text" + suffix},
                                {make_value(big), Value(5), make_value(text)}, milliseconds(30000),
                                limits);
    CHECK(kept == std::vector<bool>{true, true, true});
    std::lock_guard<std::mutex> guard(peer.mutex);
    CHECK(peer.values.at("big" + suffix).get<std::vector<double>>() == big);
    CHECK(peer.values.at("small" + suffix).as<std::int64_t>() == 5);
    CHECK(peer.values.at("text" + suffix).get<std::string>() == text);
  }
  CHECK(peer.server->direct_copies() == 2);  // the two large values of the direct round
}

TEST_CASE("data plane: a large put to a server that will not copy arrives whole", "[net]") {
  // The writer offers a direct copy (TRP2) and the server declines, as one on another host
  // does: the body must follow the header at once. (The writer used to send its per-value
  // mode byte anyway, and the server read it as the body's first byte.)
  std::vector<double> big(1 << 19);  // 4 MiB
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<double>(i) + 0.5;
  auto array = ndarray::from(big, {512, 1024});
  net::data_limits server_limits;
  server_limits.direct = false;
  served peer({}, server_limits);
  auto kept = net::put_values(peer.server->address(), {"vector", "small", "array"},
                              {make_value(big), Value(5), make_value(array)}, milliseconds(30000));
  CHECK(kept == std::vector<bool>{true, true, true});
  std::lock_guard<std::mutex> guard(peer.mutex);
  CHECK(peer.values.at("vector").get<std::vector<double>>() == big);
  CHECK(peer.values.at("small").as<std::int64_t>() == 5);
  CHECK(peer.values.at("array").get<ndarray>() == array);
  CHECK(peer.server->direct_copies() == 0);
}

TEST_CASE("data plane: a reader that cannot copy, or is on another host, gets the socket",
          "[net]") {
  std::vector<double> big(1 << 18);  // 2 MiB
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<double>(i) * 0.25;
  served peer({{"big", make_value(big)}});
  const std::string body(reinterpret_cast<const char*>(big.data()), big.size() * sizeof(double));
  auto get_request = [](const std::string& identity) {
    const auto size = static_cast<std::uint16_t>(identity.size());
    return std::string("TRQ2") + std::string(reinterpret_cast<const char*>(&size), 2) +
           identity + std::string(1, '\1') + u32_bytes(1) + u32_bytes(3) + "big";  // 1 stream
  };
  auto read_exactly = [](int fd, std::size_t n) {
    std::string out(n, '\0');
    std::size_t got = 0;
    while (got < n) {
      auto r = ::recv(fd, out.data() + got, n - got, 0);
      REQUIRE(r > 0);
      got += static_cast<std::size_t>(r);
    }
    return out;
  };
  auto header_of = [&](int fd) {
    std::uint32_t size = 0;
    std::memcpy(&size, read_exactly(fd, 4).data(), 4);
    return read_exactly(fd, size);
  };
  int fd = connect_raw(peer.server->address());
  // The same host: offered a direct copy, the reader refuses and the body follows.
  auto request = get_request(net::host_identity());
  REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  CHECK(read_exactly(fd, 1) == std::string(1, '\2'));
  header_of(fd);
  read_exactly(fd, 4 + 8);  // the holder's pid and the address of the one buffer
  const char refused = 0;
  REQUIRE(::send(fd, &refused, 1, 0) == 1);
  CHECK(read_exactly(fd, body.size()) == body);
  // Another host (another identity): the value comes over the socket at once.
  request = get_request("another host");
  REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  CHECK(read_exactly(fd, 1) == std::string(1, '\1'));
  header_of(fd);
  CHECK(read_exactly(fd, body.size()) == body);
  ::close(fd);
  CHECK(peer.server->direct_copies() == 0);
  // A copy refused by the kernel is the same refusal from the reader's side: here the holder's
  // pid is made to name no process, so the fetch must take the socket.
  CHECK(net::copy_from_process(-1, {{reinterpret_cast<std::uintptr_t>(big.data()), 8}},
                               {{reinterpret_cast<std::uintptr_t>(big.data() + 1), 8}}) == false);
}

TEST_CASE("data plane: a peer that breaks the protocol loses only its connection", "[net]") {
  served peer({{"x", Value(std::int64_t{42})}}, net::data_limits{.max_keys = 10,
                                                                 .max_key_size = 100});
  const auto& address = peer.server->address();
  auto send_raw = [&](const std::string& bytes) {
    int fd = connect_raw(address);
    ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    return fd;
  };
  int garbage = send_raw("GET / HTTP/1.1\r\n\r\n");
  REQUIRE(dropped_reaches(*peer.server, 1));
  int too_many = send_raw("TRQ1" + u32_bytes(11));
  REQUIRE(dropped_reaches(*peer.server, 2));
  int long_key = send_raw("TRQ1" + u32_bytes(1) + u32_bytes(101));
  REQUIRE(dropped_reaches(*peer.server, 3));
  // A request cut short just ends that connection when the peer closes it: nothing to drop.
  int cut = send_raw("TRQ1" + u32_bytes(1) + u32_bytes(5) + "ab");
  ::close(cut);
  for (int fd : {garbage, too_many, long_key}) ::close(fd);
  // The server still serves.
  auto got = net::fetch_values(address, {"x"}, milliseconds(5000));
  REQUIRE(got[0].has_value());
  CHECK(got[0]->as<std::int64_t>() == 42);
  CHECK(peer.server->dropped_connections() == 3);
}

TEST_CASE("data plane: a server that lies, is silent or closes mid-value is a clean error",
          "[net]") {
  fake_peer fake;
  auto answer_with = [&](std::string bytes, bool then_wait) {
    return std::thread([&fake, bytes, then_wait] {
      int fd = ::accept(fake.listener, nullptr, nullptr);
      char request[4096];  // the whole request: unread bytes would make close() a reset
      ::recv(fd, request, sizeof request, 0);
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (then_wait) std::this_thread::sleep_for(milliseconds(1500));
      ::close(fd);
    });
  };
  auto form = to_wire_form(make_value(std::vector<double>(1 << 17, 1.0)));  // 1 MiB body
  auto header_size = static_cast<std::uint32_t>(form.header.size());
  std::string announce = std::string(1, '\1') +
                         std::string(reinterpret_cast<const char*>(&header_size), 4) +
                         form.header;

  // It closes 100 bytes into a 1 MiB body.
  auto closer = answer_with(announce + std::string(100, 'x'), false);
  CHECK_THROWS_WITH(net::fetch_values(fake.address, {"k"}, milliseconds(5000)),
                    Contains("failed while sending k") && Contains("closed"));
  closer.join();

  // It stops sending 100 bytes into the body and keeps the connection open.
  auto silent = answer_with(announce + std::string(100, 'x'), true);
  CHECK_THROWS_WITH(net::fetch_values(fake.address, {"k"}, milliseconds(300)),
                    Contains("within the timeout"));
  silent.join();

  // Its header is garbage.
  auto liar = answer_with(std::string(1, '\1') + std::string("\x08\0\0\0", 4) + "garbage!", false);
  CHECK_THROWS_AS(net::fetch_values(fake.address, {"k"}, milliseconds(5000)), TypeError);
  liar.join();

  // Nobody listens there.
  auto port = net::parse_address(fake.address).port;
  ::close(fake.listener);
  fake.listener = -1;
  CHECK_THROWS_AS(net::fetch_values("tcp://127.0.0.1:" + std::to_string(port), {"k"},
                                    milliseconds(2000)),
                  ConnectionError);
}

TEST_CASE("data plane: a server stopped while clients are connected ends cleanly", "[net]") {
  auto peer = std::make_unique<served>(std::map<std::string, Value>{{"x", Value(1)}});
  int idle = connect_raw(peer->server->address());  // connected, never sends
  peer.reset();  // must not wait for the idle client
  char byte;
  CHECK(::recv(idle, &byte, 1, 0) <= 0);  // its connection was closed
  ::close(idle);
}

TEST_CASE("data plane: values put on a server come back byte for byte", "[net]") {
  auto values = wire_test_values();
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < values.size(); ++i) keys.push_back("put-" + std::to_string(i));
  served peer({});
  auto kept = net::put_values(peer.server->address(), keys, values, milliseconds(10000));
  CHECK(kept == std::vector<bool>(values.size(), true));
  auto got = net::fetch_values(peer.server->address(), keys, milliseconds(10000));
  for (std::size_t i = 0; i < values.size(); ++i) {
    INFO(values[i].type_name());
    REQUIRE(got[i].has_value());
    CHECK(got[i]->encode() == values[i].encode());
  }
  // A server that keeps nothing refuses each value, and still answers.
  served refusing({}, {}, false);
  CHECK(net::put_values(refusing.server->address(), {"a", "b"}, {Value(1), Value("x")},
                        milliseconds(5000)) == std::vector<bool>{false, false});
  CHECK_FALSE(net::fetch_values(refusing.server->address(), {"a"}, milliseconds(5000))[0]);
}

TEST_CASE("data plane: a put with a lying header loses its connection only", "[net]") {
  served peer({{"x", Value(7)}});
  int fd = connect_raw(peer.server->address());
  std::string put = "TRP1" + u32_bytes(1) + u32_bytes(1) + "k" + u32_bytes(8) + "garbage!";
  ::send(fd, put.data(), put.size(), MSG_NOSIGNAL);
  REQUIRE(dropped_reaches(*peer.server, 1));
  ::close(fd);
  // A put whose body stops short of what its header says, then the connection closes.
  auto form = to_wire_form(make_value(std::vector<double>(1000, 1.0)));
  fd = connect_raw(peer.server->address());
  std::string short_put = "TRP1" + u32_bytes(1) + u32_bytes(1) + "s" +
                          u32_bytes(static_cast<std::uint32_t>(form.header.size())) + form.header +
                          std::string(100, 'x');
  ::send(fd, short_put.data(), short_put.size(), MSG_NOSIGNAL);
  ::close(fd);
  REQUIRE(dropped_reaches(*peer.server, 2));
  CHECK(net::fetch_values(peer.server->address(), {"x"}, milliseconds(5000))[0]->as<int>() == 7);
  CHECK_FALSE(net::fetch_values(peer.server->address(), {"k"}, milliseconds(5000))[0]);
  CHECK_FALSE(net::fetch_values(peer.server->address(), {"s"}, milliseconds(5000))[0]);
}

TEST_CASE("data plane: a kept connection to a server that went away is replaced", "[net]") {
  // The first fetch leaves its connection open for the next; the server then stops and a new
  // one serves on the same port: the next fetch finds the kept connection closed and makes a
  // new one, with no error.
  auto first = std::make_unique<served>(std::map<std::string, Value>{{"k", Value(1)}});
  auto address = first->server->address();
  CHECK(net::fetch_values(address, {"k"}, milliseconds(5000))[0]->as<int>() == 1);
  auto port = net::parse_address(address).port;
  first.reset();
  served second({{"k", Value(2)}}, {}, true, port);
  CHECK(net::fetch_values(address, {"k"}, milliseconds(5000))[0]->as<int>() == 2);
  CHECK(net::put_values(address, {"p"}, {Value(3)}, milliseconds(5000)) ==
        std::vector<bool>{true});
  CHECK(net::fetch_values(address, {"p"}, milliseconds(5000))[0]->as<int>() == 3);
}

TEST_CASE("fetch_pool: fetches run on a few threads and come back; a pool may go first",
          "[net]") {
  std::map<std::string, Value> values;
  for (int i = 0; i < 20; ++i)
    values["v" + std::to_string(i)] = make_value(std::vector<double>(20000, i));
  served peer(values);
  std::mutex mutex;
  std::condition_variable all_done;
  std::map<std::string, std::vector<double>> got;
  {
    net::fetch_pool pool(2);
    for (int i = 0; i < 20; ++i) {
      auto key = "v" + std::to_string(i);
      pool.fetch(peer.server->address(), {key, "missing"}, milliseconds(10000),
                 [&, key](net::fetch_result result) {
                   std::lock_guard<std::mutex> guard(mutex);
                   CHECK(result.error.empty());
                   CHECK_FALSE(result.values.at(1).has_value());
                   got[key] = result.values.at(0)->get<std::vector<double>>();
                   all_done.notify_all();
                 });
    }
    std::unique_lock<std::mutex> lock(mutex);
    REQUIRE(all_done.wait_for(lock, std::chrono::seconds(30), [&] { return got.size() == 20; }));
  }
  for (int i = 0; i < 20; ++i) CHECK(got["v" + std::to_string(i)] == std::vector<double>(20000, i));

  // A pool destroyed with fetches queued behind a slow one returns at once; the queued ones
  // are dropped, the running one finishes on its own.
  auto finished = std::make_shared<std::atomic<int>>(0);  // outlives the test if need be
  auto slow = std::make_unique<net::data_server>(
      "127.0.0.1", [](const std::string&) -> std::optional<Value> {
        std::this_thread::sleep_for(milliseconds(300));
        return Value(1);
      });
  auto started = std::chrono::steady_clock::now();
  {
    net::fetch_pool pool(1);
    for (int i = 0; i < 3; ++i)
      pool.fetch(slow->address(), {"x"}, milliseconds(5000),
                 [finished](net::fetch_result) { ++*finished; });
    std::this_thread::sleep_for(milliseconds(50));
  }
  CHECK(std::chrono::steady_clock::now() - started < milliseconds(250));
  std::this_thread::sleep_for(milliseconds(700));
  CHECK(finished->load() <= 1);
}
