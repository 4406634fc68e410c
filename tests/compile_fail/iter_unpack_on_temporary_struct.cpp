// expect: deleted
// Struct::iter_unpack's view refers to its Struct: on a temporary one it would dangle.
#include <wirepack/runtime_struct.hpp>
#include <array>
std::array<std::byte, 4> buffer{};
auto view = wirepack::Struct("<hh").iter_unpack(buffer);
