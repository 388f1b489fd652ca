#!/usr/bin/env bash
# Installs troupe from BUILD_DIR into a fresh prefix, builds examples/embed against it as an
# outside project would (find_package(troupe)), runs it, and checks what it prints.
# usage: install_and_build.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
source_dir=$1
build_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" > "$work/install.log"
cmake -S "$source_dir/examples/embed" -B "$work/build" -G Ninja \
      -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log" \
  || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/build" > "$work/build.log" || { cat "$work/build.log"; exit 1; }
"$work/build/embed"
