// expect: wirepack: bad char in struct format (position 1)
// Whitespace may separate items, but the byte-order character must come first.
#include <wirepack/struct.hpp>
constexpr auto size = wirepack::calcsize<" <h">();
