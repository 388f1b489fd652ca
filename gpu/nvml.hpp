#pragma once
// What a worker reports about its GPUs (name and memory), read through NVML, the library the
// NVIDIA driver installs, as Dask's workers do. NVML is opened at run time (dlopen), so troupe
// neither links CUDA for this nor needs a GPU to build or run: without the driver there is no
// GPU, and the reason says why.

#include <cstdint>
#include <string>
#include <vector>

namespace troupe::gpu {

struct gpu_summary {
  std::string name;               ///< e.g. "NVIDIA H200"
  std::uint64_t memory_bytes = 0;  ///< total device memory
};

struct gpu_summaries {
  std::vector<gpu_summary> devices;
  std::string reason;  ///< why there are none, when there are none
};

/// The GPUs this process may use: every device NVML sees, narrowed to CUDA_VISIBLE_DEVICES
/// when that lists device indices ("" or "-1" there: none).
gpu_summaries visible_gpus();

/// "NVIDIA H200 (140 GB)", or "2 x NVIDIA H200 (140 GB)"; "" without a GPU.
std::string describe(const gpu_summaries& gpus);

}  // namespace troupe::gpu
