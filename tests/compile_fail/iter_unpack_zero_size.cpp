// expect: wirepack: cannot iteratively unpack with a struct of length 0
#include <wirepack/struct.hpp>
#include <array>
std::array<std::byte, 4> buffer{};
auto view = wirepack::iter_unpack<"0i">(buffer);
