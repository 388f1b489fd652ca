// Seed 004: linalg::norm(a - b) of two random 10000-vectors in chunks of 100 (about
// sqrt(2 * 10000) = 141.4 for standard normals), and a.dot(a.T).mean(0) for a random
// 1000 x 100 matrix in 100 x 100 chunks (a 1000 x 1000 product whose column means are checked
// against Eigen computing the same numbers). For 1-d a, numpy's a.dot(a.T) is one number
// with no axis 0, so the seed's second line takes a matrix.

#include <cmath>
#include <cstdio>

#include "collections/array.hpp"

namespace da = troupe::array;

int main() {
  // |a - b|^2 sums 10000 terms of mean 2 and variance 8: the norm is 141.4 within 1.0 (1 sd).
  auto a = da::random::RandomState(4).standard_normal({10000}, {100});
  auto b = da::random::RandomState(5).standard_normal({10000}, {100});
  const double norm = da::linalg::norm(a - b).compute();
  std::printf("norm(a - b) = %.1f (sqrt(2n) = %.1f)\n", norm, std::sqrt(2.0 * 10000));

  auto m = da::random::RandomState(4).standard_normal({1000, 100}, {100, 100});
  auto means = m.dot(m.transpose()).mean({0}).compute();
  const Eigen::MatrixXd e = m.to_eigen();
  const Eigen::VectorXd want = (e * e.transpose()).colwise().mean();
  double worst = 0;
  for (int i = 0; i < 1000; ++i) worst = std::max(worst, std::abs(means.data<double>()[i] - want(i)));
  std::printf("a.dot(a.T).mean(0): %lld means, largest difference from Eigen %.1e\n",
              static_cast<long long>(means.size()), worst);
  const bool right = std::abs(norm - std::sqrt(2.0 * 10000)) < 5 && worst < 1e-9;
  std::printf("seed004: %s\n", right ? "as expected" : "WRONG");
  return right ? 0 : 1;
}
