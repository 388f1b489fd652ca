# The README's commands. Each first runs scripts/install-deps (idempotent).
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build demo test test-all bench sanitize clean

all: build

deps:
	@bash scripts/install-deps

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	@bash examples/run-demo $(BUILD_DIR)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -LE slow
	cd $(BUILD_DIR) && ctest --output-on-failure -L slow

bench: build
	.venv/bin/python bench/run --build-dir $(BUILD_DIR)

sanitize: deps
	cmake -S . -B build-sanitize -G Ninja -DTROUPE_SANITIZE=ON
	cmake --build build-sanitize -j $(JOBS) --target troupe_tests
	cd build-sanitize && ctest --output-on-failure -j $(JOBS) -L unit

clean:
	rm -rf $(BUILD_DIR) build-sanitize
