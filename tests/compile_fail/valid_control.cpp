// expect: success
#include <wirepack/struct.hpp>

constexpr auto n = wirepack::calcsize<"<I2sf">();
static_assert(n == 10);
