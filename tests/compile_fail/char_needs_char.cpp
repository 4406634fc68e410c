// expect: wirepack: format character 'c' needs a char or std::byte argument
#include <wirepack/struct.hpp>
auto bytes = wirepack::pack<"c">(1.5);
