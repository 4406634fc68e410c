// expect: wirepack: a string format character needs a string_view-convertible or byte-range argument
#include <wirepack/struct.hpp>
auto bytes = wirepack::pack<"4s">(1234);
