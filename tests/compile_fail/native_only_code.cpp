// expect: wirepack: bad char in struct format (position 1)
// n, N and P exist only in native mode.
#include <wirepack/struct.hpp>
constexpr auto size = wirepack::calcsize<"<n">();
