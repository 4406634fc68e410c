#pragma once
/// \file
/// The dynamically typed values of the run-time `wirepack::Struct`, and the
/// containers it returns.
///
///     const wirepack::Struct s("<I2sf");
///     wirepack::packed_bytes b = s.pack({1, "ab", 2.7});   // 01000000 6162 cdcc2c40
///     wirepack::unpacked_values v = s.unpack(b);           // {uint64_t 1, bytes "ab", 2.700000047683716}
///
/// Both containers keep a small struct inside themselves, so that packing or
/// unpacking one allocates nothing: `packed_bytes` holds up to 64 bytes,
/// `unpacked_values` up to 8 values, and each `wirepack::bytes` in them up to 24
/// bytes. Past that they grow on the heap. While the elements are inside the
/// object, moving it moves them one by one, so pointers, iterators and spans into
/// it do not survive a move.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <stdexcept>
#include <variant>

#include <boost/container/small_vector.hpp>

#include <wirepack/bytes.hpp>

namespace wirepack {

class Struct;

/// A Python value as `struct` sees it: an int (as `int64_t` or `uint64_t`), a
/// float, a bool, or bytes.
///
/// Unpacking yields `int64_t` for signed codes (`b h i l q n`), `uint64_t` for
/// unsigned ones (`B H I L Q N P`), `bool` for `?`, `double` for `e f d` and
/// `wirepack::bytes` for `c s p`. Packing takes whatever Python takes: an int for
/// `f`, a bool for `i`, any value for `?`.
///
///     wirepack::value v = 2.7;
///     double x = std::get<double>(v);
///     wirepack::value name = "sensor-7";   // bytes
using value = std::variant<bool, std::int64_t, std::uint64_t, double, bytes>;

/// The values of one struct, in format order, as Python's `struct.unpack` returns
/// them in a tuple. It holds up to 8 values without allocating, and is a
/// contiguous range of `value`, so it converts to `std::span<const value>`. Like
/// a tuple it has the size it was made with (`resize` aside): to build values
/// one by one, use a `std::vector<value>`, which `Struct::pack` takes as well.
///
///     wirepack::unpacked_values point = wirepack::Struct("<hh").unpack(bytes);
///     std::int64_t x = std::get<std::int64_t>(point[0]);
///     wirepack::unpacked_values reply{std::uint64_t{7}, "ok"};
class unpacked_values {
public:
    using value_type = value;
    using size_type = std::size_t;
    using difference_type = std::ptrdiff_t;
    using reference = value&;
    using const_reference = const value&;
    using iterator = value*;
    using const_iterator = const value*;

    /// How many values it holds without allocating.
    static constexpr std::size_t inline_capacity = 8;

    unpacked_values() noexcept : data_(storage_.values), size_(0) {}
    /// `count` values, each `false` (an empty tuple to unpack into).
    explicit unpacked_values(std::size_t count) : unpacked_values() {
        // Default- rather than value-initialized: the same `false`, without first
        // zeroing every byte of each value.
        std::uninitialized_default_construct_n(reserve_fresh(count), count);
        size_ = count;
    }
    unpacked_values(std::initializer_list<value> values) : unpacked_values(std::span(values.begin(), values.size())) {}
    explicit unpacked_values(std::span<const value> values) : unpacked_values() {
        std::uninitialized_copy(values.begin(), values.end(), reserve_fresh(values.size()));
        size_ = values.size();
    }
    unpacked_values(const unpacked_values& other) : unpacked_values(std::span<const value>(other)) {}
    unpacked_values(unpacked_values&& other) noexcept : unpacked_values() { take(other); }
    unpacked_values& operator=(const unpacked_values& other) {
        if (this != &other) *this = unpacked_values(other);
        return *this;
    }
    unpacked_values& operator=(unpacked_values&& other) noexcept {
        if (this != &other) {
            release();
            take(other);
        }
        return *this;
    }
    ~unpacked_values() { free_all(); }

    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] value* data() noexcept { return data_; }
    [[nodiscard]] const value* data() const noexcept { return data_; }
    [[nodiscard]] value* begin() noexcept { return data_; }
    [[nodiscard]] value* end() noexcept { return data_ + size_; }
    [[nodiscard]] const value* begin() const noexcept { return data_; }
    [[nodiscard]] const value* end() const noexcept { return data_ + size_; }
    /// Requires: `i < size()`.
    [[nodiscard]] value& operator[](std::size_t i) noexcept { return data_[i]; }
    [[nodiscard]] const value& operator[](std::size_t i) const noexcept { return data_[i]; }
    /// Throws `std::out_of_range` when `i >= size()`.
    [[nodiscard]] const value& at(std::size_t i) const {
        if (i >= size_) throw std::out_of_range("wirepack::unpacked_values::at");
        return data_[i];
    }

    /// Keeps the first `count` values, adding `false` ones if there are fewer.
    void resize(std::size_t count) {
        if (count <= size_) {
            destroy(data_ + count, data_ + size_);
            size_ = count;
        } else if (count <= capacity()) {
            std::uninitialized_default_construct(data_ + size_, data_ + count);
            size_ = count;
        } else {
            unpacked_values grown;
            value* const to = grown.reserve_fresh(count);
            std::uninitialized_default_construct(to + size_, to + count);
            std::uninitialized_move(begin(), end(), to);  // noexcept: a value moves without throwing
            grown.size_ = count;
            *this = std::move(grown);
        }
    }

    friend bool operator==(const unpacked_values& a, const unpacked_values& b) noexcept {
        return std::equal(a.begin(), a.end(), b.begin(), b.end());
    }

private:
    friend class Struct;

    /// `count` values that `make(uninitialized)` makes, in storage where none lives yet.
    template <class Make>
        requires std::is_nothrow_invocable_v<Make&, value*>
    unpacked_values(std::size_t count, Make&& make) : unpacked_values() {
        make(reserve_fresh(count));
        size_ = count;
    }

    [[nodiscard]] bool is_inline() const noexcept { return data_ == storage_.values; }
    [[nodiscard]] std::size_t capacity() const noexcept { return is_inline() ? inline_capacity : capacity_; }

    /// Room for `count` values, in an empty object: its own storage or a heap block.
    value* reserve_fresh(std::size_t count) {
        if (count > inline_capacity) {
            data_ = std::allocator<value>().allocate(count);
            capacity_ = count;
        }
        return data_;
    }

    /// Destroys the values in [first, last). A value that holds no `bytes` has
    /// nothing to release, so its destructor (a dispatch on the alternative it
    /// holds) is skipped: the language allows ending an object's life by reusing
    /// or releasing its storage when nothing depends on its destructor.
    static void destroy(value* first, value* last) noexcept {
        for (; first != last; ++first) {
            if (std::holds_alternative<bytes>(*first)) std::destroy_at(first);
        }
    }

    /// Destroys the values and frees the heap block.
    void free_all() noexcept {
        destroy(begin(), end());
        if (!is_inline()) std::allocator<value>().deallocate(data_, capacity_);
    }

    /// `free_all`, leaving the object empty and inline.
    void release() noexcept {
        free_all();
        data_ = storage_.values;
        size_ = 0;
    }

    /// Takes `other`'s values (its heap block, or its inline values moved one by
    /// one) and leaves it empty. Requires: this object is empty and inline.
    void take(unpacked_values& other) noexcept {
        if (other.is_inline()) {
            std::uninitialized_move(other.begin(), other.end(), data_);
            size_ = other.size_;
            other.release();
        } else {
            data_ = other.data_;
            size_ = other.size_;
            capacity_ = other.capacity_;
            other.data_ = other.storage_.values;
            other.size_ = 0;
        }
    }

    value* data_;  ///< `storage_.values`, or a heap block of `capacity_` values
    std::size_t size_;
    std::size_t capacity_ = 0;  ///< when on the heap
    /// Raw room for the inline values: they are created and destroyed one by one.
    union inline_storage {
        inline_storage() noexcept {}
        ~inline_storage() {}
        value values[inline_capacity];
    } storage_;
};

namespace detail {
/// Whether every alternative but `bytes` has nothing to release.
template <class... Alternatives>
constexpr bool only_bytes_need_destroying(const std::variant<Alternatives...>*) noexcept {
    return ((std::is_same_v<Alternatives, bytes> || std::is_trivially_destructible_v<Alternatives>) && ...);
}
}  // namespace detail

static_assert(std::is_nothrow_move_constructible_v<value>);
// `unpacked_values::destroy` and the run-time Struct's handlers skip the destructor
// of every value but bytes.
static_assert(detail::only_bytes_need_destroying(static_cast<const value*>(nullptr)));

/// A packed struct: a vector of bytes that holds up to 64 of them without
/// allocating. It converts to `std::span<const std::byte>`.
///
///     wirepack::packed_bytes b = wirepack::Struct("!H").pack({0x1234});   // 12 34
///     std::span<const std::byte> view = b;
using packed_bytes = boost::container::small_vector<std::byte, 64>;

}  // namespace wirepack
