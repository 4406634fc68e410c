#include <wirepack/struct.hpp>

#include <cstddef>

static_assert(wirepack::calcsize<"<I2sf">() == 10);

int main() {
  return wirepack::pack<">H">(0x1234)[0] == std::byte{0x12} ? 0 : 1;
}
