#pragma once
// A peer that talks to a data plane by hand (tests only): a plain connected socket, and the
// protocol's little-endian u32 fields, to send garbage, lies and cut-short transfers.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "net/address.hpp"

/// A socket connected to tcp://HOST:PORT (the caller closes it).
inline int connect_raw(const std::string& address) {
  auto where = troupe::net::parse_address(address);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(where.port);
  ::inet_pton(AF_INET, where.host.c_str(), &target.sin_addr);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof target) == 0);
  return fd;
}

/// A u32 field as the protocol sends it.
inline std::string u32_bytes(std::uint32_t x) {
  return std::string(reinterpret_cast<const char*>(&x), sizeof x);
}
