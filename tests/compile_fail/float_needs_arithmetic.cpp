// expect: wirepack: a float format character needs an arithmetic argument
#include <wirepack/struct.hpp>
auto bytes = wirepack::pack<"<d">("2.5");
