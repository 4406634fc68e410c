// expect: throw_integer_out_of_range
// In a constant expression an out-of-range value is a compile error.
#include <wirepack/struct.hpp>
constexpr auto bytes = wirepack::pack<"B">(256);
