#pragma once
/// \file
/// Everything in the header-only core of wirepack.
///
///     #include <wirepack/wirepack.hpp>
///     auto bytes = wirepack::pack<"!HI">(7, 42);

#include <wirepack/bytes.hpp>
#include <wirepack/error.hpp>
#include <wirepack/fixed_string.hpp>
#include <wirepack/flat_tuple.hpp>
#include <wirepack/format.hpp>
#include <wirepack/frame.hpp>
#include <wirepack/pascal_string.hpp>
#include <wirepack/result.hpp>
#include <wirepack/runtime_frame.hpp>
#include <wirepack/runtime_struct.hpp>
#include <wirepack/struct.hpp>
#include <wirepack/value.hpp>
