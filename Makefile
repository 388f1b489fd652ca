# The README's commands. Each first runs scripts/install-deps (idempotent).
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build demo test test-all bench sanitize tsan clean

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

# AddressSanitizer + UBSan (any UB report aborts): every target, then every test except the
# benchmark smoke run (label slow) and cli.thread_limits, which sets RLIMIT_AS to 1.5 GB to make
# thread creation fail; ASan reserves terabytes of shadow address space, so it cannot start
# under that limit at all; and embed.install_and_build, whose outside project links the
# installed (here instrumented) libraries without the sanitizer runtime. Leak checking is on;
# tests/sanitizers/lsan.supp lists what is not troupe's to fix. protect_shadow_gap=0: the CUDA driver maps memory where ASan would otherwise
# reserve its shadow gap, so on a GPU machine every CUDA call fails without it (the known fix;
# not exercised here, where the GPU test skips).
SANITIZE_DIR ?= build-sanitize
SANITIZE_ENV = ASAN_OPTIONS=detect_leaks=1:strict_init_order=1:detect_stack_use_after_return=1:protect_shadow_gap=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/lsan.supp:print_suppressions=0

sanitize: deps
	cmake -S . -B $(SANITIZE_DIR) -G Ninja -DTROUPE_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(SANITIZE_DIR) -j $(JOBS)
	cd $(SANITIZE_DIR) && $(SANITIZE_ENV) ctest --output-on-failure -j $(JOBS) -LE slow \
		-E '^(cli\.thread_limits|embed\.install_and_build)$$'

# ThreadSanitizer on the scheduler tests: the unit tests tagged [actors] or [collections].
# libcaf_core is not instrumented, so TSan cannot see the ordering CAF's mailboxes give;
# tests/sanitizers/tsan.supp lists those false positives by cause, and any other report fails
# the target (exit status 66). suppress_equal_addresses=0: with it on, TSan keeps every racy
# address in a list it scans on each race: the 200,000-task chains then ran for over 20 minutes
# (stopped), against about 25 s for the whole test run without it.
TSAN_DIR ?= build-tsan
TSAN_ENV = TSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/tsan.supp:suppress_equal_addresses=0:second_deadlock_stack=1

tsan: deps
	cmake -S . -B $(TSAN_DIR) -G Ninja -DTROUPE_SANITIZE_THREAD=ON $(CMAKE_FLAGS)
	cmake --build $(TSAN_DIR) -j $(JOBS) --target troupe_tests
	$(TSAN_ENV) $(TSAN_DIR)/tests/troupe_tests '[actors],[collections]'

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR) $(TSAN_DIR)
