// expect: wirepack: pack got the wrong number of items
#include <wirepack/struct.hpp>
auto bytes = wirepack::pack<"<HI">(1);
