// ndarray (core/ndarray.hpp) and the buffer pool under it (core/buffer_pool.hpp): shapes and
// dtypes are checked, encodings and wire headers that lie are refused before anything is
// allocated, a bool array never holds a byte other than 0 or 1, and a large buffer released
// is handed to the next array of its size instead of fresh memory.

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "core/buffer_pool.hpp"
#include "core/ndarray.hpp"
#include "core/value.hpp"
#include "core/wire_form.hpp"

using namespace troupe;
using Catch::Contains;

namespace {

/// A wire header for an ndarray claiming `body` bytes of `code` elements in `shape`.
std::string array_header(std::uint8_t code, const std::vector<std::int64_t>& shape,
                         std::uint64_t body) {
  std::string h = "TRW1";
  h += static_cast<char>(4);
  std::string name = "ndarray";
  auto n = static_cast<std::uint16_t>(name.size());
  h.append(reinterpret_cast<const char*>(&n), sizeof n);
  h += name;
  std::uint32_t buffers = 1;
  h.append(reinterpret_cast<const char*>(&buffers), sizeof buffers);
  h.append(reinterpret_cast<const char*>(&body), sizeof body);
  h += static_cast<char>(code);
  h += static_cast<char>(shape.size());
  for (auto extent : shape) h.append(reinterpret_cast<const char*>(&extent), sizeof extent);
  return h;
}

}  // namespace

TEST_CASE("ndarray: shape, dtype and element access", "[ndarray]") {
  auto a = ndarray::from(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(a.type() == dtype::float64);
  CHECK(a.shape() == ndarray::shape_type{2, 3});
  CHECK(a.ndim() == 2);
  CHECK(a.size() == 6);
  CHECK(a.nbytes() == 48);
  CHECK(a.data<double>()[5] == 6);
  CHECK(a.to_vector<double>() == std::vector<double>{1, 2, 3, 4, 5, 6});
  CHECK(a.describe() == "ndarray<float64>[2, 3]");
  CHECK_THROWS_WITH(a.data<float>(), Contains("holds float64 elements, not float32"));

  // A 0-d array holds one element; an extent of 0 holds none.
  CHECK(ndarray(dtype::int64, {}).size() == 1);
  CHECK(ndarray(dtype::float32, {4, 0, 7}).size() == 0);
  CHECK(ndarray().shape() == ndarray::shape_type{0});

  CHECK_THROWS_AS(ndarray(dtype::float64, {3, -1}), ArgumentError);
  CHECK_THROWS_WITH(ndarray(dtype::float64, {3, -1}), Contains("negative extent"));
  CHECK_THROWS_AS(ndarray(dtype::float64, ndarray::shape_type(33, 1)), ArgumentError);
  const auto huge = std::numeric_limits<std::int64_t>::max();
  CHECK_THROWS_AS(ndarray(dtype::float64, {huge, huge}), OverflowError);
  CHECK_THROWS_WITH(ndarray::from(std::vector<double>{1, 2, 3}, {2, 2}),
                    Contains("3 elements do not fill the shape [2, 2]"));

  // Equality looks at dtype, shape and bytes.
  CHECK(a == ndarray::from(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3}));
  CHECK_FALSE(a == ndarray::from(std::vector<double>{1, 2, 3, 4, 5, 6}, {3, 2}));
  CHECK_FALSE(a == ndarray::from(std::vector<double>{1, 2, 3, 4, 5, 7}, {2, 3}));
  CHECK_FALSE(ndarray::from(std::vector<std::int64_t>{1}) == ndarray::from(std::vector<double>{1}));
}

TEST_CASE("ndarray: encodes as dtype, shape and bytes and decodes back", "[ndarray]") {
  std::vector<float> xs(1000);
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<float>(i) * 0.25f - 3;
  for (auto value : {make_value(ndarray::from(xs, {10, 10, 10})),
                     make_value(ndarray::from(std::vector<bool>{true, false, false})),
                     make_value(ndarray(dtype::int64, {0}))}) {
    auto bytes = value.encode();
    byte_reader in(bytes);
    auto back = Value::decode(in);
    CHECK(in.at_end());
    REQUIRE(back.holds<ndarray>());
    CHECK(back.get<ndarray>() == value.get<ndarray>());
    CHECK(back.type_name() == "ndarray");
  }
  // The encoding is the dtype byte, the dimension count, the extents and the raw elements.
  byte_writer out;
  codec<ndarray>::encode(ndarray::from(std::vector<std::int64_t>{7, 8}, {2}), out);
  CHECK(out.bytes().size() == 1 + 8 + 8 + 16);
}

TEST_CASE("ndarray: encodings that lie are refused before allocating", "[ndarray]") {
  auto encoding = [](std::uint8_t code, std::vector<std::int64_t> shape, std::string body) {
    byte_writer out;
    out.write_pod(code);
    out.write_size(shape.size());
    for (auto e : shape) out.write_pod(e);
    out.write_bytes(body.data(), body.size());
    return out.take();
  };
  auto decode = [](const std::string& bytes) {
    byte_reader in(bytes);
    return codec<ndarray>::decode(in);
  };
  // A shape of 2^40 elements behind 16 bytes: refused without asking for 8 TiB.
  CHECK_THROWS_WITH(decode(encoding(1, {1 << 20, 1 << 20}, std::string(16, '\0'))),
                    Contains("corrupt ndarray"));
  CHECK_THROWS_WITH(decode(encoding(9, {2}, std::string(16, '\0'))),
                    Contains("unknown dtype code 9"));
  CHECK_THROWS_WITH(decode(encoding(1, {-2}, std::string(16, '\0'))), Contains("corrupt ndarray"));
  CHECK_THROWS_WITH(decode(encoding(4, {3}, std::string("\1\0\2", 3))),
                    Contains("bool element 2 is the byte 2"));
  CHECK(decode(encoding(4, {3}, std::string("\1\0\1", 3))) ==
        ndarray::from(std::vector<bool>{true, false, true}));
}

TEST_CASE("ndarray: its wire form is its own bytes, and lying headers are refused",
          "[ndarray][wire]") {
  auto a = ndarray::from(std::vector<double>{1.5, -2, 3}, {3, 1});
  auto form = to_wire_form(make_value(a));
  REQUIRE(form.buffers.size() == 1);
  CHECK(form.buffers[0].data == reinterpret_cast<const char*>(a.bytes()));  // not copied
  CHECK(form.buffers[0].size == 24);
  CHECK(wire_round_trip(make_value(a)).get<ndarray>() == a);

  CHECK_NOTHROW(wire_receiver(array_header(1, {3, 1}, 24), 1 << 20));
  CHECK_THROWS_WITH(wire_receiver(array_header(1, {3, 2}, 24), 1 << 20),
                    Contains("is not 24 bytes"));
  CHECK_THROWS_WITH(wire_receiver(array_header(1, {std::int64_t{1} << 40, 1 << 20}, 24), 1 << 20),
                    Contains("corrupt ndarray"));
  CHECK_THROWS_WITH(wire_receiver(array_header(0, {3}, 24), 1 << 20), Contains("unknown dtype"));
  CHECK_THROWS_WITH(wire_receiver(array_header(1, {3}, 24) + "x", 1 << 20),
                    Contains("bytes after the array's shape"));
  CHECK_THROWS_WITH(wire_receiver(array_header(1, {1 << 20}, 8 << 20), 1 << 20),
                    Contains("over the limit"));

  // A bool body with a byte other than 0 or 1 is refused when it is finished.
  wire_receiver bools(array_header(4, {2}, 2), 1 << 20);
  std::memcpy(bools.buffers()[0].data, "\1\5", 2);
  CHECK_THROWS_WITH(bools.finish(), Contains("bool element 1 is the byte 5"));
}

TEST_CASE("buffer pool: a released large buffer serves the next array of its size",
          "[ndarray][buffer_pool]") {
  buffer_pool::set_limit(64 << 20);
  buffer_pool::release_all();
  const void* first = nullptr;
  {
    ndarray a(dtype::float64, {1 << 20});  // 8 MiB
    first = a.bytes();
    std::memset(a.mutable_bytes(), 0x5a, a.nbytes());
  }
  auto before = buffer_pool::stats();
  CHECK(before.kept_buffers == 1);
  CHECK(before.kept_bytes == 8u << 20);
  {
    ndarray b(dtype::float64, {1000, 1040});  // a little smaller: the same buffer does
    CHECK(b.bytes() == first);
    auto after = buffer_pool::stats();
    CHECK(after.hits == before.hits + 1);
    CHECK(after.kept_buffers == 0);
    // Twice the size is not served from it.
    ndarray c(dtype::float64, {2 << 20});
    CHECK(c.bytes() != first);
    CHECK(buffer_pool::stats().misses == before.misses + 1);
  }
  CHECK(buffer_pool::stats().kept_bytes == 24u << 20);
  // Past the limit, the buffers released longest ago go first: c (16 MiB) went before b.
  buffer_pool::set_limit(16 << 20);
  CHECK(buffer_pool::stats().kept_bytes == 8u << 20);
  CHECK(buffer_pool::stats().kept_buffers == 1);
  CHECK(ndarray(dtype::float64, {1 << 20}).bytes() == first);
  buffer_pool::set_limit(0);
  { ndarray d(dtype::boolean, {4 << 20}); }
  CHECK(buffer_pool::stats().kept_bytes == 0);
  // Small arrays are plain heap blocks and never pooled.
  auto misses = buffer_pool::stats().misses;
  { ndarray e(dtype::float32, {100}); }
  CHECK(buffer_pool::stats().misses == misses);
  buffer_pool::set_limit(1 << 30);
}
