// gpu/device.hpp for builds without CUDA: there is never a device.

#include "core/error.hpp"
#include "gpu/device.hpp"

namespace troupe::gpu {

device_list list_devices() { return {{}, "troupe was built without CUDA (nvcc not found)"}; }

std::vector<double> doubled_indices(int, std::size_t) {
  throw error("troupe was built without CUDA: rebuild where nvcc is found (-DTROUPE_CUDA=ON)");
}

}  // namespace troupe::gpu
