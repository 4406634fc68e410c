#pragma once
// Replaces the global operator new of the test program that includes this header,
// to count what a call allocates. Include it in exactly one translation unit of a
// program: it defines operator new and delete.
//
//     const auto seen = wirepack::test::allocations_during([&] { decoder.feed(bytes); });
//     EXPECT_EQ(seen.count, 0u);
//     EXPECT_LE(seen.largest, 64u);

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace wirepack::test {

/// What operator new was asked for while counting was on.
struct allocation_record {
    std::size_t count = 0;    ///< calls
    std::size_t largest = 0;  ///< bytes of the largest single request
};

namespace detail {
inline bool counting = false;
inline allocation_record counted;
}  // namespace detail

/// The allocations made through operator new while `call` runs.
template <class F>
allocation_record allocations_during(F&& call) {
    detail::counted = {};
    detail::counting = true;
    call();
    detail::counting = false;
    return detail::counted;
}

}  // namespace wirepack::test

// Not inlined, so that g++ does not pair the malloc and free inside them with the
// new and delete expressions of the code under test (-Wmismatched-new-delete).
[[gnu::noinline]] void* operator new(std::size_t size) {
    if (wirepack::test::detail::counting) {
        ++wirepack::test::detail::counted.count;
        wirepack::test::detail::counted.largest = std::max(wirepack::test::detail::counted.largest, size);
    }
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
