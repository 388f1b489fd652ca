#include "gpu/nvml.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <sstream>

namespace troupe::gpu {

namespace {

// The few NVML entry points used here, declared by their documented C signatures (nvml.h is
// not installed on machines without the driver's development files).
using nvml_return = int;  // NVML_SUCCESS is 0
using nvml_device = void*;
struct nvml_memory {
  unsigned long long total, free, used;
};
using init_fn = nvml_return (*)();
using count_fn = nvml_return (*)(unsigned int*);
using handle_fn = nvml_return (*)(unsigned int, nvml_device*);
using name_fn = nvml_return (*)(nvml_device, char*, unsigned int);
using memory_fn = nvml_return (*)(nvml_device, nvml_memory*);

template <typename F>
F symbol(void* library, const char* name) {
  return reinterpret_cast<F>(dlsym(library, name));
}

// The indices CUDA_VISIBLE_DEVICES lists; `all` when it is unset or names devices by UUID.
std::vector<unsigned int> visible_indices(unsigned int count, bool& all) {
  all = true;
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  if (visible == nullptr) return {};
  std::vector<unsigned int> indices;
  std::stringstream list(visible);
  std::string item;
  while (std::getline(list, item, ',')) {
    char* end = nullptr;
    long index = std::strtol(item.c_str(), &end, 10);
    if (end == item.c_str() || *end != '\0') return {};  // a UUID: not narrowed here
    if (index < 0) break;  // CUDA stops at the first invalid index
    if (static_cast<unsigned long>(index) < count) indices.push_back(static_cast<unsigned>(index));
  }
  all = false;
  return indices;
}

}  // namespace

gpu_summaries visible_gpus() {
  gpu_summaries out;
  void* library = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    out.reason = "no NVIDIA driver (libnvidia-ml.so.1 not found)";
    return out;
  }
  auto init = symbol<init_fn>(library, "nvmlInit_v2");
  auto shutdown = symbol<init_fn>(library, "nvmlShutdown");
  auto count = symbol<count_fn>(library, "nvmlDeviceGetCount_v2");
  auto handle = symbol<handle_fn>(library, "nvmlDeviceGetHandleByIndex_v2");
  auto name = symbol<name_fn>(library, "nvmlDeviceGetName");
  auto memory = symbol<memory_fn>(library, "nvmlDeviceGetMemoryInfo");
  if (!init || !shutdown || !count || !handle || !name || !memory) {
    out.reason = "libnvidia-ml.so.1 lacks the NVML functions used";
  } else if (init() != 0) {
    out.reason = "NVML did not start (no NVIDIA device, or the driver is not loaded)";
  } else {
    unsigned int devices = 0;
    if (count(&devices) == 0) {
      bool all = true;
      auto indices = visible_indices(devices, all);
      if (all)
        for (unsigned int i = 0; i < devices; ++i) indices.push_back(i);
      for (auto i : indices) {
        nvml_device device = nullptr;
        char text[96] = {};
        nvml_memory bytes{};
        if (handle(i, &device) != 0 || name(device, text, sizeof text) != 0) continue;
        if (memory(device, &bytes) != 0) bytes.total = 0;
        out.devices.push_back({text, bytes.total});
      }
    }
    if (out.devices.empty()) out.reason = "NVML lists no device this process may use";
    shutdown();
  }
  dlclose(library);
  return out;
}

std::string describe(const gpu_summaries& gpus) {
  if (gpus.devices.empty()) return "";
  const auto& first = gpus.devices.front();
  std::string text = gpus.devices.size() > 1 ? std::to_string(gpus.devices.size()) + " x " : "";
  text += first.name;
  if (first.memory_bytes > 0)
    text += " (" + std::to_string((first.memory_bytes + 500'000'000) / 1'000'000'000) + " GB)";
  return text;
}

}  // namespace troupe::gpu
