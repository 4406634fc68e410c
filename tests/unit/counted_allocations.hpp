#pragma once
// Replaces the global operator new of the test program that includes this header,
// to count what a call allocates. Include it in exactly one translation unit of a
// program: it defines operator new and delete.
//
//     const auto seen = wirepack::test::allocations_during([&] { decoder.feed(bytes); });
//     EXPECT_EQ(seen.count, 0u);
//     EXPECT_LE(seen.largest, 64u);
//     auto failing = wirepack::test::allocations_during([&] { ... }, 2);   // the 2nd throws std::bad_alloc

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace wirepack::test {

/// What operator new was asked for while counting was on.
struct allocation_record {
    std::size_t count = 0;    ///< calls
    std::size_t largest = 0;  ///< bytes of the largest single request
    std::size_t freed = 0;    ///< calls of operator delete
};

namespace detail {
inline bool counting = false;
inline std::size_t failing_call = 0;  ///< 1 for the first call, ...; 0: none fails
inline allocation_record counted;
}  // namespace detail

/// The allocations made through operator new while `call` runs. With
/// `failing_call` n > 0, the n-th of them throws std::bad_alloc instead.
template <class F>
allocation_record allocations_during(F&& call, std::size_t failing_call = 0) {
    detail::counted = {};
    detail::failing_call = failing_call;
    detail::counting = true;
    try {
        call();
    } catch (...) {
        detail::counting = false;
        throw;
    }
    detail::counting = false;
    return detail::counted;
}

}  // namespace wirepack::test

// Not inlined, so that g++ does not pair the malloc and free inside them with the
// new and delete expressions of the code under test (-Wmismatched-new-delete).
[[gnu::noinline]] void* operator new(std::size_t size) {
    namespace counter = wirepack::test::detail;
    if (counter::counting) {
        ++counter::counted.count;
        counter::counted.largest = std::max(counter::counted.largest, size);
        if (counter::counted.count == counter::failing_call) throw std::bad_alloc();
    }
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept {
    if (p != nullptr && wirepack::test::detail::counting) ++wirepack::test::detail::counted.freed;
    std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
