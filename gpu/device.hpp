#pragma once
// The CUDA devices this process can use. No CUDA header here: the rest of troupe asks through
// this interface, and builds without CUDA get an implementation that finds none.

#include <cstddef>
#include <string>
#include <vector>

namespace troupe::gpu {

struct device_info {
  int index;
  std::string name;
  std::size_t total_memory_bytes;
  int compute_capability_major;
  int compute_capability_minor;
};

struct device_list {
  std::vector<device_info> devices;
  /// Why there are none, when there are none ("built without CUDA", the CUDA error...).
  std::string reason;
};

/// The usable devices. Any error from the CUDA runtime (no driver, a driver too old for the
/// runtime, no device) means no GPU, with the error as the reason.
device_list list_devices();

/// Runs a small kernel on `device` that writes 2*i into element i of n elements and returns
/// them, as a check that kernels launch and results come back. Throws troupe::error on
/// failure.
std::vector<double> doubled_indices(int device, std::size_t n);

}  // namespace troupe::gpu
