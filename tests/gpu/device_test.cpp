// The CUDA backend: devices are listed, and a kernel's results come back. Without a GPU (or
// without CUDA) the test prints "SKIP: <why>" and asserts nothing, and ctest reports it Skipped
// (tests/gpu/CMakeLists.txt sets SKIP_REGULAR_EXPRESSION).

#include <catch2/catch.hpp>

#include <iostream>

#include "gpu/device.hpp"

using namespace troupe;

TEST_CASE("gpu: a kernel's results come back from every device", "[gpu]") {
  auto list = gpu::list_devices();
  if (list.devices.empty()) {
    if (list.reason.empty()) FAIL("gpu::list_devices() found no device and gave no reason");
    std::cout << "SKIP: no GPU here (" << list.reason << ")" << std::endl;
    return;
  }
  for (const auto& device : list.devices) {
    INFO(device.name);
    CHECK(device.total_memory_bytes > 0);
    auto values = gpu::doubled_indices(device.index, 1'000'003);
    REQUIRE(values.size() == 1'000'003);
    for (std::size_t i = 0; i < values.size(); i += 9973) CHECK(values[i] == 2.0 * static_cast<double>(i));
    CHECK(values.back() == 2.0 * 1'000'002);
  }
}
