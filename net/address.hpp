#pragma once
// Cluster addresses: tcp://HOST:PORT, as dask.distributed writes them. Parsing names what is
// wrong and how to write it instead.

#include <cstdint>
#include <string>

namespace troupe::net {

struct address {
  std::string host;
  std::uint16_t port = 0;
  std::string to_string() const;  ///< tcp://host:port
};

/// Parses "tcp://host:port" (also "host:port"); ArgumentError names a malformed address.
address parse_address(const std::string& text);

/// This host's name for others to reach it when serving on `bind_host` ("" or 0.0.0.0: the
/// first non-loopback IPv4 address, else 127.0.0.1).
std::string reachable_host(const std::string& bind_host);

}  // namespace troupe::net
