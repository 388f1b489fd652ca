// The unit tests' main: troupe::init first, so that a LocalCluster of processes started by a
// test runs this same binary as its workers.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "collections/client.hpp"

int main(int argc, char** argv) {
  troupe::init(argc, argv);
  return Catch::Session().run(argc, argv);
}
