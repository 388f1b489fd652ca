#include "kernels/array_tasks.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <Eigen/Core>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

#include "core/register_type.hpp"

TROUPE_REGISTER_TYPE(troupe::kernels::array_plan)

namespace troupe::kernels {

namespace {

using shape_type = std::vector<std::int64_t>;

index_box box_of(const shape_type& start, const shape_type& count) {
  if (start.size() != count.size())
    throw ArgumentError("a box with " + std::to_string(start.size()) + " starts and " +
                        std::to_string(count.size()) + " counts");
  return {start, shape_type(start.size(), 1), count};
}

reduction reduction_of(std::int64_t op) {
  if (op < 0 || op > static_cast<std::int64_t>(reduction::exact_sum))
    throw ArgumentError("unknown array reduction " + std::to_string(op));
  return static_cast<reduction>(op);
}

shape_type c_strides(const shape_type& shape) {
  shape_type stride(shape.size(), 1);
  for (std::size_t d = shape.size(); d-- > 1;) stride[d - 1] = stride[d] * shape[d];
  return stride;
}

}  // namespace

/// Copies the box [from, from + extent) of `source` (extents source_shape, index 0 at
/// source_origin) into `target` (target_shape, target_origin), row by row; elements of
/// `item` bytes.
void copy_box(const std::byte* source, const shape_type& source_shape,
              const shape_type& source_origin, std::byte* target, const shape_type& target_shape,
              const shape_type& target_origin, const shape_type& from, const shape_type& extent,
              std::size_t item) {
  const auto n = extent.size();
  for (auto e : extent)
    if (e <= 0) return;
  if (n == 0) {
    std::memcpy(target, source, item);
    return;
  }
  const auto ss = c_strides(source_shape), ts = c_strides(target_shape);
  shape_type j(n, 0);
  while (true) {
    std::int64_t s = 0, t = 0;
    for (std::size_t d = 0; d < n; ++d) {
      s += (from[d] + j[d] - source_origin[d]) * ss[d];
      t += (from[d] + j[d] - target_origin[d]) * ts[d];
    }
    std::memcpy(target + static_cast<std::size_t>(t) * item,
                source + static_cast<std::size_t>(s) * item,
                static_cast<std::size_t>(extent[n - 1]) * item);
    std::size_t d = n - 1;
    while (d > 0) {
      --d;
      if (++j[d] < extent[d]) break;
      j[d] = 0;
      if (d == 0) return;
    }
    if (n == 1) return;
  }
}

namespace {

/// The windows a task was given, assembled from their chunks (owned by `storage`).
std::vector<data_window> assemble_windows(const std::vector<Value>& specs,
                                          std::vector<ndarray>& storage) {
  std::vector<data_window> windows;
  storage.reserve(specs.size());
  for (const auto& spec_value : specs) {
    const auto& spec = spec_value.get<std::vector<Value>>();
    if (spec.size() != 4) throw ArgumentError("an array window of " + std::to_string(spec.size()) + " parts");
    auto origin = spec[0].as<shape_type>();
    auto shape = spec[1].as<shape_type>();
    auto origins = spec[2].as<shape_type>();
    const auto& chunks = spec[3].get<std::vector<Value>>();
    const auto n = origin.size();
    if (shape.size() != n || origins.size() != chunks.size() * n)
      throw ArgumentError("an array window whose parts disagree in dimensions");
    // A window that is one whole chunk is that chunk: no copy.
    if (chunks.size() == 1) {
      const auto& only = chunks.front().get<ndarray>();
      bool whole = only.shape() == shape;
      for (std::size_t d = 0; d < n && whole; ++d) whole = origins[d] == origin[d];
      if (whole) {
        storage.push_back(only);
        windows.push_back({only.bytes(), only.type(), std::move(origin), std::move(shape)});
        continue;
      }
    }
    const auto type = chunks.empty() ? dtype::float64 : chunks.front().get<ndarray>().type();
    ndarray window(type, shape);
    // The chunks must tile the window: a chunk of another shape (a map_blocks function that
    // changed it) would leave part of it unwritten or written twice.
    std::uint64_t covered = 0;
    for (std::size_t k = 0; k < chunks.size(); ++k) {
      const auto& part = chunks[k].get<ndarray>();
      if (part.type() != type)
        throw ArgumentError("an array window of chunks of " + std::string(dtype_name(type)) +
                            " and " + std::string(dtype_name(part.type())));
      if (part.ndim() != n) throw ArgumentError("an array window of chunks of other dimensions");
      shape_type part_origin(n), from(n), extent(n);
      for (std::size_t d = 0; d < n; ++d) {
        part_origin[d] = origins[k * n + d];
        from[d] = std::max(part_origin[d], origin[d]);
        const auto end = std::min(part_origin[d] + part.shape()[d], origin[d] + shape[d]);
        extent[d] = end - from[d];
      }
      copy_box(part.bytes(), part.shape(), part_origin, window.mutable_bytes(), shape, origin,
               from, extent, item_size(type));
      std::uint64_t overlap = 1;
      for (auto e : extent) overlap *= static_cast<std::uint64_t>(std::max<std::int64_t>(e, 0));
      covered += overlap;
    }
    if (covered != window.size())
      throw ArgumentError("an array window of " + std::to_string(window.size()) +
                          " elements got " + std::to_string(covered) +
                          " from its chunks: a chunk has another shape than its place in the "
                          "array (a map_blocks function must return its block's shape)");
    storage.push_back(window);
    windows.push_back({window.bytes(), type, std::move(origin), std::move(shape)});
  }
  return windows;
}

ndarray eval_task(const array_plan& plan, const shape_type& start, const shape_type& count,
                  const std::vector<Value>& windows) {
  std::vector<ndarray> storage;
  auto data = assemble_windows(windows, storage);
  if (plan.nodes.empty()) throw ArgumentError("malformed array plan: no nodes");
  ndarray out(plan.root().type, count);
  evaluate(plan, box_of(start, count), data, out);
  return out;
}

ndarray reduce_axes_task(const array_plan& plan, const shape_type& start, const shape_type& count,
                         const std::vector<Value>& windows, const shape_type& reduced,
                         std::int64_t op) {
  std::vector<ndarray> storage;
  auto data = assemble_windows(windows, storage);
  const auto r = reduction_of(op);
  std::vector<bool> mask(reduced.begin(), reduced.end());
  if (mask.size() != count.size()) throw ArgumentError("a reduction mask of the wrong length");
  shape_type shape(count.size());
  for (std::size_t d = 0; d < count.size(); ++d) shape[d] = mask[d] ? 1 : count[d];
  if (r == reduction::moments) shape.push_back(3);
  ndarray out(dtype::float64, shape);
  reduce_axes(plan, box_of(start, count), data, mask, r, out.mutable_data<double>());
  return out;
}

double combine_task(std::int64_t op, const std::vector<Value>& partials) {
  const auto r = reduction_of(op);
  if (r == reduction::moments) throw ArgumentError("moments are combined as arrays");
  std::vector<double> values;
  values.reserve(partials.size());
  for (const auto& p : partials) values.push_back(p.as<double>());
  double result = identity_of(r);
  fold(r, result, values.data(), values.size());
  return result;
}

/// Folds the partial `part` into `into` elementwise by r (the one fold of every combine).
void fold_partial(reduction r, ndarray& into, const ndarray& part) {
  if (part.size() != into.size())
    throw ArgumentError("array partials of " + std::to_string(part.size()) + " and " +
                        std::to_string(into.size()) + " elements");
  double* o = into.mutable_data<double>();
  const double* v = part.data<double>();
  const auto n = part.size();
  switch (r) {
    case reduction::sum: for (std::size_t i = 0; i < n; ++i) o[i] += v[i]; break;
    case reduction::prod: for (std::size_t i = 0; i < n; ++i) o[i] *= v[i]; break;
    case reduction::min: for (std::size_t i = 0; i < n; ++i) o[i] = nan_min(o[i], v[i]); break;
    case reduction::max: for (std::size_t i = 0; i < n; ++i) o[i] = nan_max(o[i], v[i]); break;
    case reduction::moments:
      for (std::size_t i = 0; i + 2 < n; i += 3) merge_moments(o + i, v + i);
      break;
    case reduction::exact_sum:
      for (std::size_t i = 0; i < n; ++i) o[i] = exact_sum(o[i], v + i, 1);
      break;
  }
}

/// The partials folded in order into an array of `shape`: the first copied, the rest folded.
ndarray combine_arrays_task(std::int64_t op, const std::vector<Value>& parts, const shape_type& shape) {
  const auto r = reduction_of(op);
  if (parts.empty()) throw ArgumentError("combine_arrays of no parts");
  const auto& first = parts.front().get<ndarray>();
  ndarray out(dtype::float64, shape);
  if (out.size() != first.size())
    throw ArgumentError("combine_arrays: parts of " + std::to_string(first.size()) +
                        " elements into a shape of " + std::to_string(out.size()));
  std::memcpy(out.mutable_bytes(), first.data<double>(), first.nbytes());
  for (std::size_t k = 1; k < parts.size(); ++k) fold_partial(r, out, parts[k].get<ndarray>());
  return out;
}

/// One dimension of a chunk grid as encode_chunk_grid wrote it: regular chunks as their
/// extent, count and last extent (no list, however many there are), others as their list.
class chunk_axis {
 public:
  /// Reads the dimension at flat[at...], moving `at` past it.
  chunk_axis(const shape_type& flat, std::size_t& at) {
    auto take = [&] {
      if (at >= flat.size()) throw ArgumentError("array chunk grid cut short");
      return flat[at++];
    };
    const auto head = take();
    if (head == -1) {
      extent_ = take(), count_ = take(), last_ = take();
      if (extent_ < 1 || count_ < 0 || last_ < 1 || last_ > extent_)
        throw ArgumentError("array chunk grid with a bad regular dimension");
      return;
    }
    if (head < 0 || static_cast<std::size_t>(head) > flat.size() - at)
      throw ArgumentError("array chunk grid cut short");
    count_ = head;
    offsets_.push_back(0);
    for (std::int64_t k = 0; k < count_; ++k) {
      const auto e = take();
      if (e < 1) throw ArgumentError("array chunk grid with an empty chunk");
      offsets_.push_back(offsets_.back() + e);
    }
  }
  std::int64_t count() const noexcept { return count_; }
  std::int64_t offset(std::int64_t k) const {
    return offsets_.empty() ? k * extent_ : offsets_[static_cast<std::size_t>(k)];
  }
  std::int64_t extent(std::int64_t k) const {
    if (!offsets_.empty())
      return offsets_[static_cast<std::size_t>(k) + 1] - offsets_[static_cast<std::size_t>(k)];
    return k == count_ - 1 ? last_ : extent_;
  }

 private:
  std::int64_t extent_ = 0, count_ = 0, last_ = 0;
  shape_type offsets_;  ///< irregular: where each chunk starts, and the end
};

std::vector<chunk_axis> chunk_grid_of(const shape_type& flat) {
  const auto ndim = flat.empty() ? -1 : flat[0];
  if (ndim < 0 || ndim > static_cast<std::int64_t>(ndarray::max_ndim))
    throw ArgumentError("array chunk grid of no dimension count");
  std::vector<chunk_axis> axes;
  std::size_t at = 1;
  for (std::int64_t d = 0; d < ndim; ++d) axes.emplace_back(flat, at);
  return axes;
}

/// Folds partials as `levels` levels of the combine tree do (fan_in at a node, in order):
/// push them in order, then take the top node.
class tree_fold {
 public:
  tree_fold(reduction r, std::size_t levels) : r_(r), nodes_(levels), counts_(levels, 0) {}

  void push(ndarray part) { carry(std::move(part), 0); }

  /// The top node: the partly filled levels carried up, lowest first (their parts come
  /// after the parts already folded above them).
  ndarray take() {
    for (std::size_t l = 0; l < nodes_.size(); ++l)
      if (counts_[l] > 0) {
        counts_[l] = 0;
        carry(std::move(*nodes_[l]), l + 1);
      }
    if (!top_) throw ArgumentError("reduce_grid: nothing was folded");
    return std::move(*top_);
  }

 private:
  void carry(ndarray part, std::size_t level) {
    for (; level < nodes_.size(); ++level) {
      if (counts_[level] == 0)
        nodes_[level] = std::move(part);
      else
        fold_partial(r_, *nodes_[level], part);
      if (++counts_[level] < static_cast<std::size_t>(array_fan_in)) return;
      counts_[level] = 0;
      part = std::move(*nodes_[level]);
    }
    if (top_) throw ArgumentError("reduce_grid: more parts than its levels hold");
    top_ = std::move(part);
  }

  reduction r_;
  std::vector<std::optional<ndarray>> nodes_;
  std::vector<std::size_t> counts_;
  std::optional<ndarray> top_;
};

/// Boxes first .. first + count - 1 of one result chunk of a generated array's reduction
/// (that chunk's grid position in `position`, reduced dimensions at 0; its boxes in C order
/// over the reduced dimensions), each reduced and their partials folded as `levels` levels
/// of the combine tree would: the numbers of one task per box and a tree of combines.
ndarray reduce_grid_task(const array_plan& plan, const shape_type& chunk_grid,
                         const shape_type& reduced, std::int64_t op, const shape_type& position,
                         std::int64_t first, std::int64_t count, std::int64_t levels) {
  const auto grid = chunk_grid_of(chunk_grid);
  const auto n = grid.size();
  if (reduced.size() != n || position.size() != n)
    throw ArgumentError("reduce_grid: a mask or position of the wrong length");
  if (count <= 0 || first < 0 || levels < 1 || levels > 16)
    throw ArgumentError("reduce_grid: no boxes to fold");
  tree_fold folded(reduction_of(op), static_cast<std::size_t>(levels));
  const std::vector<Value> no_windows;
  shape_type start(n), extent(n);
  for (std::int64_t j = first; j < first + count; ++j) {
    // j in C order over the reduced dimensions.
    auto rest = j;
    for (std::size_t d = n; d-- > 0;) {
      auto k = position[d];
      if (reduced[d] != 0) {
        const auto g = std::max<std::int64_t>(grid[d].count(), 1);
        k = rest % g;
        rest /= g;
      }
      if (k < 0 || k >= grid[d].count())
        throw ArgumentError("reduce_grid: a box outside the chunk grid");
      start[d] = grid[d].offset(k);
      extent[d] = grid[d].extent(k);
    }
    if (rest != 0) throw ArgumentError("reduce_grid: a box past the chunk grid");
    folded.push(reduce_axes_task(plan, start, extent, no_windows, reduced, op));
  }
  return folded.take();
}

ndarray finish_moments_task(const ndarray& moments, double ddof, bool root) {
  auto shape = moments.shape();
  if (shape.empty() || shape.back() != 3) throw ArgumentError("finish_moments: not moments");
  shape.pop_back();
  ndarray out(dtype::float64, shape);
  const double* m = moments.data<double>();
  double* o = out.mutable_data<double>();
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double dof = m[3 * i] - ddof;
    const double var = dof > 0 ? m[3 * i + 2] / dof : std::numeric_limits<double>::quiet_NaN();
    o[i] = root ? std::sqrt(var) : var;
  }
  return out;
}

ndarray matmul_task(const ndarray& a, const ndarray& b) {
  if (a.ndim() != 2 || b.ndim() != 2 || a.shape()[1] != b.shape()[0])
    throw ArgumentError("matmul of blocks " + a.describe() + " and " + b.describe());
  using row_major = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  ndarray out(dtype::float64, {a.shape()[0], b.shape()[1]});
  Eigen::Map<row_major>(out.mutable_data<double>(), a.shape()[0], b.shape()[1]).noalias() =
      Eigen::Map<const row_major>(a.data<double>(), a.shape()[0], a.shape()[1]) *
      Eigen::Map<const row_major>(b.data<double>(), b.shape()[0], b.shape()[1]);
  return out;
}

/// Chunks that tile `shape` (chunk k starts at origins[k * ndim ...]), copied into one
/// array of `shape` and the dtype `type_code` names.
ndarray concatenate_task(const shape_type& shape, const shape_type& origins,
                         const std::vector<Value>& chunks, std::int64_t type_code) {
  const auto type = dtype_from_code(static_cast<std::uint8_t>(type_code));
  if (!type || type_code < 0 || type_code > 255)
    throw ArgumentError("concatenate: no dtype has the code " + std::to_string(type_code));
  ndarray out(*type, shape);
  const auto n = shape.size();
  if (origins.size() != chunks.size() * n)
    throw ArgumentError("concatenate: " + std::to_string(origins.size()) + " origin numbers for " +
                        std::to_string(chunks.size()) + " chunks of " + std::to_string(n) +
                        " dimensions");
  const shape_type origin(n, 0);
  std::uint64_t covered = 0;
  for (std::size_t c = 0; c < chunks.size(); ++c) {
    const auto& part = chunks[c].get<ndarray>();
    const shape_type part_origin(origins.begin() + static_cast<std::ptrdiff_t>(c * n),
                                 origins.begin() + static_cast<std::ptrdiff_t>((c + 1) * n));
    if (part.ndim() != n) throw ArgumentError("concatenate: a chunk of other dimensions");
    if (part.type() != *type)
      throw ArgumentError("concatenate: a chunk of " + std::string(dtype_name(part.type())) +
                          " into an array of " + std::string(dtype_name(*type)) +
                          " (a map_blocks function returns its array's dtype, or the one "
                          "given as map_blocks(name, dtype))");
    for (std::size_t d = 0; d < n; ++d)
      if (part_origin[d] < 0 || part_origin[d] + part.shape()[d] > shape[d])
        throw ArgumentError("concatenate: a chunk reaches outside the array");
    copy_box(part.bytes(), part.shape(), part_origin, out.mutable_bytes(), shape, origin,
             part_origin, part.shape(), item_size(*type));
    covered += part.size();
  }
  if (covered != out.size())
    throw ArgumentError("concatenate: the chunks hold " + std::to_string(covered) +
                        " elements for an array of " + std::to_string(out.size()));
  return out;
}

std::string system_reason() { return std::strerror(errno); }

/// The raw file at `path`, open for writing; closed when it goes.
class raw_file {
 public:
  explicit raw_file(const std::string& path) : path_(path), fd_(::open(path.c_str(), O_WRONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw error("store: cannot open " + path + ": " + system_reason());
  }
  raw_file(const raw_file&) = delete;
  raw_file& operator=(const raw_file&) = delete;
  ~raw_file() { ::close(fd_); }

  /// Writes `chunk`, the box of the array of `shape` from `start`, at its offsets (rows in
  /// C order); returns the bytes written.
  std::int64_t write(const shape_type& shape, const shape_type& start, const ndarray& chunk) {
    const auto n = shape.size();
    if (start.size() != n || chunk.ndim() != n)
      throw ArgumentError("store: a chunk of other dimensions than the array");
    for (std::size_t d = 0; d < n; ++d)
      if (start[d] < 0 || start[d] + chunk.shape()[d] > shape[d])
        throw ArgumentError("store: a chunk outside the array");
    const auto stride = c_strides(shape);
    const std::int64_t row = n == 0 ? 1 : chunk.shape()[n - 1];
    const auto item = static_cast<std::int64_t>(item_size(chunk.type()));
    const std::byte* values = chunk.bytes();
    shape_type j(n, 0);
    std::int64_t written = 0;
    for (std::size_t at = 0; at < chunk.size(); at += static_cast<std::size_t>(row)) {
      std::int64_t offset = 0;
      for (std::size_t d = 0; d < n; ++d) offset += (start[d] + j[d]) * stride[d];
      const auto bytes = static_cast<std::size_t>(row * item);
      const auto* from = reinterpret_cast<const char*>(values + at * static_cast<std::size_t>(item));
      for (std::size_t done = 0; done < bytes;) {
        const auto r = ::pwrite(fd_, from + done, bytes - done,
                                static_cast<off_t>(offset * item + static_cast<std::int64_t>(done)));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) throw error("store: cannot write " + path_ + ": " + system_reason());
        done += static_cast<std::size_t>(r);
      }
      written += static_cast<std::int64_t>(bytes);
      for (std::size_t d = n == 0 ? 0 : n - 1; d-- > 0;) {
        if (++j[d] < chunk.shape()[d]) break;
        j[d] = 0;
      }
    }
    return written;
  }

 private:
  std::string path_;
  int fd_;
};

std::int64_t store_chunk_task(const std::string& path, const shape_type& shape,
                              const shape_type& start, const ndarray& chunk) {
  return raw_file(path).write(shape, start, chunk);
}

/// Chunks first .. first + count - 1 (C order of the grid) of a generated array, each made
/// when it comes and written into the raw file at `path`; returns the bytes written.
std::int64_t store_grid_task(const array_plan& plan, const shape_type& chunk_grid,
                             const std::string& path, std::int64_t first, std::int64_t count) {
  if (plan.nodes.empty()) throw ArgumentError("malformed array plan: no nodes");
  const auto grid = chunk_grid_of(chunk_grid);
  const auto& shape = plan.root().shape;
  const auto n = grid.size();
  if (n != shape.size()) throw ArgumentError("store_grid: a chunk grid of other dimensions");
  if (count <= 0 || first < 0) throw ArgumentError("store_grid: no chunks to store");
  raw_file file(path);
  std::int64_t written = 0;
  shape_type start(n), extent(n);
  for (std::int64_t j = first; j < first + count; ++j) {
    auto rest = j;
    for (std::size_t d = n; d-- > 0;) {
      const auto g = grid[d].count();
      if (g == 0) throw ArgumentError("store_grid: an empty dimension has no chunks");
      const auto k = rest % g;
      rest /= g;
      start[d] = grid[d].offset(k);
      extent[d] = grid[d].extent(k);
    }
    if (rest != 0) throw ArgumentError("store_grid: a chunk past the grid");
    ndarray chunk(plan.root().type, extent);
    evaluate(plan, box_of(start, extent), {}, chunk);
    written += file.write(shape, start, chunk);
  }
  return written;
}

const array_task_functions functions{
    detail::register_typed_function_at_startup("troupe.array.eval", eval_task, true),
    detail::register_typed_function_at_startup("troupe.array.reduce_axes", reduce_axes_task, true),
    detail::register_typed_function_at_startup("troupe.array.reduce_grid", reduce_grid_task, true),
    detail::register_typed_function_at_startup("troupe.array.combine", combine_task, true),
    detail::register_typed_function_at_startup("troupe.array.combine_arrays", combine_arrays_task,
                                               true),
    detail::register_typed_function_at_startup("troupe.array.finish_moments", finish_moments_task,
                                               true),
    detail::register_typed_function_at_startup("troupe.array.matmul", matmul_task, true),
    detail::register_typed_function_at_startup("troupe.array.concatenate", concatenate_task, true),
    detail::register_typed_function_at_startup("troupe.array.store_chunk", store_chunk_task, true),
    detail::register_typed_function_at_startup("troupe.array.store_grid", store_grid_task, true),
};

}  // namespace

const array_task_functions& array_tasks() { return functions; }

Value plan_value(array_plan plan) { return make_value(std::move(plan)); }

std::vector<std::int64_t> encode_chunk_grid(const std::vector<std::vector<std::int64_t>>& lists) {
  shape_type flat{static_cast<std::int64_t>(lists.size())};
  for (const auto& list : lists) {
    const bool regular =
        !list.empty() && list.back() <= list.front() &&
        std::all_of(list.begin(), list.end() - 1, [&](auto e) { return e == list.front(); });
    if (regular || list.empty()) {
      const auto extent = list.empty() ? 1 : list.front();
      flat.insert(flat.end(), {-1, extent, static_cast<std::int64_t>(list.size()),
                               list.empty() ? 1 : list.back()});
    } else {
      flat.push_back(static_cast<std::int64_t>(list.size()));
      flat.insert(flat.end(), list.begin(), list.end());
    }
  }
  return flat;
}

void create_raw_file(const std::string& path, std::uint64_t bytes) {
  // Refused before anything is written when it cannot fit: the file is made sparse at its
  // full size, so the file system would run out only part way through the tasks.
  const auto slash = path.rfind('/');
  const std::string directory =
      slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  struct statvfs space {};
  if (::statvfs(directory.c_str(), &space) == 0) {
    const auto free_bytes = static_cast<std::uint64_t>(space.f_bavail) * space.f_frsize;
    if (bytes > free_bytes)
      throw error("store: " + path + " needs " + std::to_string(bytes) + " bytes, and its file " +
                  "system has " + std::to_string(free_bytes) + " free: store a slice, or to " +
                  "another file system");
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw error("store: cannot create " + path + ": " + system_reason());
  if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    const auto reason = system_reason();
    ::close(fd);
    throw error("store: cannot make " + path + " " + std::to_string(bytes) + " bytes: " + reason);
  }
  ::close(fd);
}

}  // namespace troupe::kernels
