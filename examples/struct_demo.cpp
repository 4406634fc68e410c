// The `struct` example from the Python socket article, in C++ with wirepack.
//
// Python:
//     packed = struct.pack('<I2sf', 1, b'ab', 2.7)     # 01000000 6162 cdcc2c40
//     struct.unpack('<I2sf', packed)                  # (1, b'ab', 2.700000047683716)
//
// Here the format is parsed by the compiler: a typo in it does not compile, and
// the packed size is a constant.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include <wirepack/wirepack.hpp>

namespace {

void print_hex(std::string_view label, std::span<const std::byte> bytes) {
    std::printf("%-34s", label.data());
    for (const std::byte b : bytes) std::printf("%02x", static_cast<unsigned>(b));
    std::printf("\n");
}

}  // namespace

int main() {
    // calcsize is a compile-time constant.
    static_assert(wirepack::calcsize<"<I2sf">() == 10);

    // pack returns a std::array<std::byte, 10>, no allocation.
    const auto packed = wirepack::pack<"<I2sf">(1, "ab", 2.7);
    print_hex("pack('<I2sf', 1, b'ab', 2.7)", packed);

    // unpack returns a wirepack::flat_tuple<std::uint32_t, std::array<char, 2>, float>,
    // a tuple for structured bindings, get<I> and wirepack::apply.
    const auto [number, text, real] = wirepack::unpack<"<I2sf">(std::span<const std::byte>(packed));
    // Python shows the float as a double with the shortest round-trip digits; so do we.
    char digits[32];
    const auto end = std::to_chars(digits, digits + sizeof digits, static_cast<double>(real)).ptr;
    std::printf("unpack -> (%u, b'%.2s', %.*s)\n", number, text.data(), static_cast<int>(end - digits), digits);

    // A length-prefixed message: network-order length, then the payload.
    std::array<std::byte, 4 + 5> message{};
    wirepack::pack_into<"!I">(message, 0, 5u);
    wirepack::pack_into<"5s">(message, 4, "hello");
    print_hex("pack_into('!I') + '5s'", message);
    const auto [length] = wirepack::unpack_from<"!I">(message);
    std::printf("unpack_from('!I') -> %u\n", length);

    // Several structs back to back.
    const auto points = wirepack::pack<"<hhhh">(1, -2, 3, -4);
    for (const auto [x, y] : wirepack::iter_unpack<"<hh">(points)) std::printf("point (%d, %d)\n", x, y);

    // The same format at run time, parsed by the same parser.
    const wirepack::Struct runtime("<I2sf");
    const auto again = runtime.pack({1, "ab", 2.7});
    std::printf("Struct('<I2sf') packs the same bytes: %s\n",
                std::equal(again.begin(), again.end(), packed.begin(), packed.end()) ? "yes" : "no");

    // Out-of-range values are refused with CPython's message.
    try {
        (void)wirepack::pack<"B">(256);
    } catch (const wirepack::error& e) {
        std::printf("pack('B', 256) -> error: %s\n", e.what());
    }
    return 0;
}
