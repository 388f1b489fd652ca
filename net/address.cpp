#include "net/address.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <charconv>

#include "core/error.hpp"

namespace troupe::net {

std::string address::to_string() const { return "tcp://" + host + ":" + std::to_string(port); }

address parse_address(const std::string& text) {
  auto fail = [&](const std::string& why) -> address {
    throw ArgumentError("bad address '" + text + "': " + why +
                        "; write it as tcp://HOST:PORT, for example tcp://127.0.0.1:8786");
  };
  std::string rest = text;
  if (auto scheme = rest.find("://"); scheme != std::string::npos) {
    if (rest.substr(0, scheme) != "tcp") return fail("only tcp:// is supported");
    rest = rest.substr(scheme + 3);
  }
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) return fail("no port");
  address a;
  a.host = rest.substr(0, colon);
  if (a.host.size() > 2 && a.host.front() == '[' && a.host.back() == ']')
    a.host = a.host.substr(1, a.host.size() - 2);
  if (a.host.empty()) return fail("no host");
  auto port_text = rest.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535)
    return fail("the port '" + port_text + "' is not a number from 1 to 65535");
  a.port = static_cast<std::uint16_t>(port);
  return a;
}

std::string reachable_host(const std::string& bind_host) {
  if (!bind_host.empty() && bind_host != "0.0.0.0") return bind_host;
  std::string found = "127.0.0.1";
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return found;
  for (auto* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN] = {};
    auto* in = reinterpret_cast<sockaddr_in*>(entry->ifa_addr);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    if (std::string(text).rfind("127.", 0) == 0) continue;
    found = text;
    break;
  }
  freeifaddrs(list);
  return found;
}

}  // namespace troupe::net
