#include <cuda_runtime.h>

#include "core/error.hpp"
#include "gpu/device.hpp"

namespace troupe::gpu {

namespace {

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess)
    throw error(std::string(what) + " failed: " + cudaGetErrorString(status));
}

__global__ void write_doubled_indices(double* out, std::size_t n) {
  std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (i < n) out[i] = 2.0 * static_cast<double>(i);
}

}  // namespace

device_list list_devices() {
  device_list list;
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    list.reason = std::string("CUDA reports no usable GPU: ") + cudaGetErrorString(status);
    return list;
  }
  if (count == 0) list.reason = "CUDA found no GPU";
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp props{};
    if (cudaGetDeviceProperties(&props, i) != cudaSuccess) continue;
    list.devices.push_back({i, props.name, props.totalGlobalMem, props.major, props.minor});
  }
  return list;
}

std::vector<double> doubled_indices(int device, std::size_t n) {
  check(cudaSetDevice(device), "cudaSetDevice");
  double* buffer = nullptr;
  check(cudaMalloc(&buffer, n * sizeof(double)), "cudaMalloc");
  constexpr unsigned threads = 256;
  const auto blocks = static_cast<unsigned>((n + threads - 1) / threads);
  write_doubled_indices<<<blocks, threads>>>(buffer, n);
  std::vector<double> out(n);
  cudaError_t launched = cudaGetLastError();
  cudaError_t copied = cudaMemcpy(out.data(), buffer, n * sizeof(double), cudaMemcpyDeviceToHost);
  cudaFree(buffer);
  check(launched, "kernel launch");
  check(copied, "cudaMemcpy");
  return out;
}

}  // namespace troupe::gpu
