// expect: wirepack: total struct size too long (position 1)
#include <wirepack/struct.hpp>
constexpr auto size = wirepack::calcsize<"<4611686018427387904h">();
