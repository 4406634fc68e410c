// expect: wirepack: an integer format character needs an integral or enum argument
#include <wirepack/struct.hpp>
auto bytes = wirepack::pack<"<H">("text");
