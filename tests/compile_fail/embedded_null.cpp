// expect: wirepack: embedded null character (position 1)
#include <wirepack/struct.hpp>
constexpr auto size = wirepack::calcsize<"h\0h">();
