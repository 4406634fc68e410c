// expect: wirepack: repeat count given without format specifier (position 1)
#include <wirepack/struct.hpp>
constexpr auto size = wirepack::calcsize<"<2">();
