#include "bench/common/random_dag.hpp"

#include <fstream>
#include <stdexcept>

namespace troupe::bench {

std::vector<std::size_t> random_dag::sinks() const {
  std::vector<bool> has_dependent(size(), false);
  for (auto [a, b] : dependencies) has_dependent[a] = has_dependent[b] = true;
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < size(); ++i)
    if (!has_dependent[i]) out.push_back(i);
  return out;
}

random_dag read_random_dag(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open the random DAG file '" + path + "'");
  auto fail = [&](const std::string& what) {
    throw std::runtime_error("random DAG file '" + path + "': " + what +
                             " (write it with bench/random_dag.py)");
  };
  std::string magic, tasks_word, roots_word, checksum_word;
  int version = 0;
  std::size_t tasks = 0;
  random_dag dag;
  in >> magic >> version >> tasks_word >> tasks >> roots_word >> dag.roots >> checksum_word >>
      dag.checksum;
  if (!in || magic != "troupe-random-dag" || version != 1 || tasks_word != "tasks" ||
      roots_word != "roots" || checksum_word != "checksum")
    fail("bad header");
  if (dag.roots == 0 || dag.roots > tasks) fail("bad number of roots");
  dag.dependencies.reserve(tasks - dag.roots);
  for (std::size_t i = dag.roots; i < tasks; ++i) {
    std::uint32_t a = 0, b = 0;
    if (!(in >> a >> b)) fail("too few dependency lines");
    if (a >= i || b >= i) fail("task " + std::to_string(i) + " depends on a later task");
    dag.dependencies.emplace_back(a, b);
  }
  return dag;
}

}  // namespace troupe::bench
