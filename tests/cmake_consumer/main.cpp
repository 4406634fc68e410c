#include <wirepack/net.hpp>
#include <wirepack/struct.hpp>

#include <cstddef>

static_assert(wirepack::calcsize<"<I2sf">() == 10);

int main() {
  // The header-only core, and the compiled socket library (nothing opened: no network).
  const bool packed = wirepack::pack<">H">(0x1234)[0] == std::byte{0x12};
  const bool resolved = wirepack::net::endpoint::resolve("127.0.0.1:5000").front().port() == 5000;
  return packed && resolved ? 0 : 1;
}
