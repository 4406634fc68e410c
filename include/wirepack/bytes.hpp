#pragma once
/// \file
/// `wirepack::bytes`: Python's `bytes`, as the run-time `wirepack::Struct` holds
/// the `s`, `p` and `c` fields it packs and unpacks.

#include <compare>
#include <concepts>
#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <string_view>
#include <type_traits>

namespace wirepack {

/// What converts to `std::string_view` (a literal, a `std::string`), `bytes` aside.
template <class Text, class Bytes>
concept text_other_than = std::convertible_to<const Text&, std::string_view> && !std::same_as<Text, Bytes>;

/// A string of bytes, like Python's `bytes`. Up to `inline_capacity` (24) bytes
/// live inside the object, so the strings of a typical header (a name, a tag, a
/// 20-byte hash) cost no allocation; longer ones go on the heap.
///
/// It converts to `std::string_view`, and is made from anything that does (a
/// literal, a `std::string`), so either can stand where a `bytes` is expected.
/// Unlike `std::string` it keeps no terminating NUL.
///
///     wirepack::bytes name = "sensor-7";     // inline, no allocation
///     std::string_view view = name;
///     std::string copy(name);
///     bool same = (name == "sensor-7");
///     std::unordered_set<wirepack::bytes> seen{name};
class bytes {
public:
    using value_type = char;
    using size_type = std::size_t;
    using iterator = char*;
    using const_iterator = const char*;

    /// How many bytes a `bytes` holds without allocating.
    static constexpr std::size_t inline_capacity = 24;

    /// Empty.
    bytes() noexcept : data_(inline_), size_(0) {}

    /// A copy of the `size` bytes at `data`.
    bytes(const char* data, std::size_t size) : size_(size) {
        if (size <= inline_capacity) [[likely]] {
            data_ = inline_;
            if (size != 0) std::memcpy(inline_, data, size);  // `data` may be null when `size` is 0
        } else {
            data_ = allocate_copy(data, size);
            capacity_ = size;
        }
    }

    /// A copy of the bytes `text` views.
    bytes(std::string_view text) : bytes(text.data(), text.size()) {}

    /// A copy of anything else that converts to `std::string_view`: a string
    /// literal, a `std::string`.
    template <text_other_than<bytes> Text>
    bytes(const Text& text) : bytes(std::string_view(text)) {}

    bytes(const bytes& other) : bytes(other.data_, other.size_) {}
    bytes(bytes&& other) noexcept { take(other); }
    bytes& operator=(const bytes& other) {
        if (this != &other) assign(other.data_, other.size_);
        return *this;
    }
    bytes& operator=(bytes&& other) noexcept {
        if (this != &other) {
            release();
            take(other);
        }
        return *this;
    }
    ~bytes() { release(); }

    /// Replaces the contents with the `size` bytes at `data`, which may lie inside
    /// this `bytes`. Allocates only when `size` exceeds `capacity()`, which never
    /// shrinks: assigned over and over, a `bytes` allocates only for bytes longer
    /// than any it held before.
    void assign(const char* data, std::size_t size) {
        if (size > capacity()) [[unlikely]] {
            // `data` cannot lie inside: we hold fewer than `size` bytes.
            char* const grown = allocate_copy(data, size);
            release();
            data_ = grown;
            capacity_ = size;
        } else if (size != 0) {
            std::memmove(data_, data, size);
        }
        size_ = size;
    }

    [[nodiscard]] const char* data() const noexcept { return data_; }
    [[nodiscard]] char* data() noexcept { return data_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    /// The most bytes it holds without allocating again.
    [[nodiscard]] std::size_t capacity() const noexcept { return is_inline() ? inline_capacity : capacity_; }

    [[nodiscard]] const char* begin() const noexcept { return data_; }
    [[nodiscard]] const char* end() const noexcept { return data_ + size_; }
    [[nodiscard]] char* begin() noexcept { return data_; }
    [[nodiscard]] char* end() noexcept { return data_ + size_; }
    /// Requires: `i < size()`.
    [[nodiscard]] char operator[](std::size_t i) const noexcept { return data_[i]; }
    [[nodiscard]] char& operator[](std::size_t i) noexcept { return data_[i]; }

    [[nodiscard]] std::string_view view() const noexcept { return {data_, size_}; }
    operator std::string_view() const noexcept { return view(); }

    friend bool operator==(const bytes& a, const bytes& b) noexcept { return a.view() == b.view(); }
    template <text_other_than<bytes> Text>
    friend bool operator==(const bytes& a, const Text& b) noexcept {
        return a.view() == std::string_view(b);
    }
    /// Byte by byte, as Python orders bytes.
    friend std::strong_ordering operator<=>(const bytes& a, const bytes& b) noexcept { return a.view() <=> b.view(); }
    template <text_other_than<bytes> Text>
    friend std::strong_ordering operator<=>(const bytes& a, const Text& b) noexcept {
        return a.view() <=> std::string_view(b);
    }

private:
    [[nodiscard]] bool is_inline() const noexcept { return data_ == inline_; }

    /// Out of line: only strings longer than `inline_capacity` come here.
    [[gnu::noinline]] static char* allocate_copy(const char* data, std::size_t size) {
        char* const copy = std::allocator<char>().allocate(size);
        std::memcpy(copy, data, size);
        return copy;
    }

    void release() noexcept {
        if (!is_inline()) std::allocator<char>().deallocate(data_, capacity_);
    }

    /// Takes `other`'s bytes (its heap block, or a copy of its inline ones) and
    /// leaves it empty.
    void take(bytes& other) noexcept {
        size_ = other.size_;
        if (other.is_inline()) {
            data_ = inline_;
            std::memcpy(inline_, other.inline_, inline_capacity);  // the whole buffer: one fixed-size copy
        } else {
            data_ = other.data_;
            capacity_ = other.capacity_;
            other.data_ = other.inline_;
        }
        other.size_ = 0;
    }

    char* data_;        ///< `inline_`, or a heap block of `capacity_` bytes
    std::size_t size_;
    union {
        std::size_t capacity_;         ///< when on the heap
        char inline_[inline_capacity];  ///< when not
    };
};

}  // namespace wirepack

/// Hashes the bytes as `std::string_view` does.
template <>
struct std::hash<wirepack::bytes> {
    [[nodiscard]] std::size_t operator()(const wirepack::bytes& b) const noexcept {
        return std::hash<std::string_view>{}(b.view());
    }
};
