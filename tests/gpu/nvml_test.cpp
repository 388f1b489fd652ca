// What workers report about their GPUs (gpu/nvml.hpp) agrees with the CUDA runtime: the same
// number of devices and the same names. Without a GPU both find none, and the test says SKIP.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>

#include "gpu/device.hpp"
#include "gpu/nvml.hpp"

using namespace troupe;

TEST_CASE("gpu: NVML's summary of the GPUs matches the CUDA runtime's", "[gpu]") {
  auto seen = gpu::visible_gpus();
  auto cuda = gpu::list_devices();
  if (seen.devices.empty()) {
    if (seen.reason.empty()) FAIL("gpu::visible_gpus() found no device and gave no reason");
    CHECK(gpu::describe(seen).empty());
    std::cout << "SKIP: no GPU here (" << seen.reason << "; CUDA: " << cuda.reason << ")"
              << std::endl;
    return;
  }
  REQUIRE(seen.devices.size() == cuda.devices.size());
  for (std::size_t i = 0; i < seen.devices.size(); ++i) {
    CHECK(seen.devices[i].name == cuda.devices[i].name);
    CHECK(seen.devices[i].memory_bytes == cuda.devices[i].total_memory_bytes);
  }
  CHECK_THAT(gpu::describe(seen), Catch::Contains(seen.devices[0].name));
  // CUDA_VISIBLE_DEVICES narrows what a worker reports, as it narrows what CUDA sees.
  setenv("CUDA_VISIBLE_DEVICES", "-1", 1);
  CHECK(gpu::visible_gpus().devices.empty());
  setenv("CUDA_VISIBLE_DEVICES", "0", 1);
  CHECK(gpu::visible_gpus().devices.size() == 1);
  unsetenv("CUDA_VISIBLE_DEVICES");
}
