#pragma once
// Forward declarations of core/ so headers can name types without including them.

#include <string>

namespace troupe {

using Key = std::string;

class Value;
class Graph;
struct Task;
class Arg;
struct task_function;
struct task_graph;
class byte_writer;
class byte_reader;

class error;
class GraphError;
class TaskError;
class TypeError;
class ArgumentError;

}  // namespace troupe
