// expect: wirepack: bad char in struct format (position 2)
#include <wirepack/struct.hpp>

auto n = wirepack::calcsize<"<HzI">();
