#pragma once
// The public API in one include: #include <troupe/troupe.hpp>. No CAF header comes with it.

#include "collections/client.hpp"
#include "collections/compute.hpp"
#include "collections/delayed.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/function.hpp"
#include "core/graph.hpp"
#include "core/ndarray.hpp"
#include "core/tokenize.hpp"
#include "core/value.hpp"
