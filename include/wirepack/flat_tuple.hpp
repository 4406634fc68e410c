#pragma once
/// \file
/// `wirepack::flat_tuple<Ts...>`: the tuple the compile-time `unpack` returns.
///
/// It is a tuple whose elements sit side by side, each in a base class of its own,
/// where libstdc++'s `std::tuple` nests one class inside the next, each level
/// declaring constructors over all the elements after it. A `flat_tuple` therefore
/// compiles in time proportional to its size, a `std::tuple` in time that grows
/// with the square: with g++ 12 -O2, a function making a `std::tuple` of 128
/// elements from 128 values costs about 1.3 s of compile time, one making a
/// `flat_tuple` about 0.01 s.
///
///     const auto fields = wirepack::unpack<"<I2sf">(bytes);
///     auto [id, tag, value] = fields;                               // structured bindings
///     std::uint32_t first = wirepack::get<0>(fields);              // or get<0>(fields), by ADL
///     auto again = wirepack::apply([](const auto&... v) { return wirepack::pack<"<I2sf">(v...); }, fields);
///     std::tuple<std::uint32_t, std::array<char, 2>, float> t = fields.to_tuple();
///
/// `std::get`, `std::apply`, `std::tie` and the other standard tuple algorithms
/// take only standard tuples: use `wirepack::get` and `wirepack::apply`, or convert
/// with `to_tuple()`. Unqualified `get<I>(t)` works too, but for inside a class
/// with a member named `get`, which hides it.

#include <compare>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace wirepack {

namespace detail {

/// Element `I` of a flat_tuple, of type `T`.
template <std::size_t I, class T>
struct tuple_leaf {
    T value;

    // Defaulted comparisons are constexpr when T's are.
    friend bool operator==(const tuple_leaf&, const tuple_leaf&) = default;
    friend auto operator<=>(const tuple_leaf&, const tuple_leaf&) = default;
};

/// The leaf of index `I` among a flat_tuple's bases: `T` is deduced from the one
/// base `tuple_leaf<I, T>`, without walking the elements one by one.
template <std::size_t I, class T>
constexpr T& leaf_value(tuple_leaf<I, T>& leaf) noexcept {
    return leaf.value;
}
template <std::size_t I, class T>
constexpr const T& leaf_value(const tuple_leaf<I, T>& leaf) noexcept {
    return leaf.value;
}

template <class Indices, class... Ts>
struct flat_tuple_leaves;
template <std::size_t... I, class... Ts>
struct flat_tuple_leaves<std::index_sequence<I...>, Ts...> : tuple_leaf<I, Ts>... {
    constexpr flat_tuple_leaves() = default;
    constexpr flat_tuple_leaves(Ts... values)
        requires(sizeof...(Ts) != 0)
        : tuple_leaf<I, Ts>{std::move(values)}... {}

    friend bool operator==(const flat_tuple_leaves&, const flat_tuple_leaves&) = default;
    friend auto operator<=>(const flat_tuple_leaves&, const flat_tuple_leaves&) = default;
};

}  // namespace detail

/// A tuple of `Ts...` that compiles in time linear in its size (see the file
/// comment). Made from one value per element, or default-initialized element by
/// element (`flat_tuple<int> t{}` holds 0, `flat_tuple<int> t;` an indeterminate int).
///
///     wirepack::flat_tuple<std::uint16_t, double> t{7, 2.5};
///     auto [kind, x] = t;
///     double y = get<1>(t);
template <class... Ts>
struct flat_tuple : detail::flat_tuple_leaves<std::index_sequence_for<Ts...>, Ts...> {
    static_assert((std::is_object_v<Ts> && ...), "wirepack::flat_tuple holds values, not references");
    using detail::flat_tuple_leaves<std::index_sequence_for<Ts...>, Ts...>::flat_tuple_leaves;

    /// The same elements in a `std::tuple`, for `std::apply`, `std::tie` and
    /// interfaces that take one. It costs the compile time of that `std::tuple`.
    ///
    ///     std::apply(handler, wirepack::unpack<"!HI">(bytes).to_tuple());
    [[nodiscard]] constexpr std::tuple<Ts...> to_tuple() const& {
        return [this]<std::size_t... I>(std::index_sequence<I...>) {
            return std::tuple<Ts...>(detail::leaf_value<I>(*this)...);
        }(std::index_sequence_for<Ts...>{});
    }
    /// The same, moving the elements.
    [[nodiscard]] constexpr std::tuple<Ts...> to_tuple() && {
        return [this]<std::size_t... I>(std::index_sequence<I...>) {
            return std::tuple<Ts...>(std::move(detail::leaf_value<I>(*this))...);
        }(std::index_sequence_for<Ts...>{});
    }

    /// Element by element, as `std::tuple` compares.
    friend bool operator==(const flat_tuple&, const flat_tuple&) = default;
    friend auto operator<=>(const flat_tuple&, const flat_tuple&) = default;

    /// Equal to a `std::tuple` of as many elements when each pair of elements is.
    ///
    ///     assert(wirepack::unpack<"!HI">(bytes) == std::tuple(7, 42u));
    template <class... Us>
        requires(sizeof...(Us) == sizeof...(Ts))
    friend constexpr bool operator==(const flat_tuple& a, const std::tuple<Us...>& b) {
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return ((detail::leaf_value<I>(a) == std::get<I>(b)) && ...);
        }(std::index_sequence_for<Ts...>{});
    }
};

template <class... Ts>
flat_tuple(Ts...) -> flat_tuple<Ts...>;

/// Element `I` of `t`, as `std::get` gives it from a `std::tuple`. Unqualified,
/// `get<I>(t)`, argument-dependent lookup finds it, as structured bindings do.
template <std::size_t I, class... Ts>
[[nodiscard]] constexpr auto& get(flat_tuple<Ts...>& t) noexcept {
    return detail::leaf_value<I>(t);
}
template <std::size_t I, class... Ts>
[[nodiscard]] constexpr const auto& get(const flat_tuple<Ts...>& t) noexcept {
    return detail::leaf_value<I>(t);
}
template <std::size_t I, class... Ts>
[[nodiscard]] constexpr auto&& get(flat_tuple<Ts...>&& t) noexcept {
    return std::move(detail::leaf_value<I>(t));
}
template <std::size_t I, class... Ts>
[[nodiscard]] constexpr const auto&& get(const flat_tuple<Ts...>&& t) noexcept {
    return std::move(detail::leaf_value<I>(t));
}

}  // namespace wirepack

/// The tuple protocol, for structured bindings.
template <class... Ts>
struct std::tuple_size<wirepack::flat_tuple<Ts...>> : std::integral_constant<std::size_t, sizeof...(Ts)> {};

template <std::size_t I, class... Ts>
struct std::tuple_element<I, wirepack::flat_tuple<Ts...>> {
    using type = std::remove_reference_t<decltype(wirepack::detail::leaf_value<I>(
        std::declval<wirepack::flat_tuple<Ts...>&>()))>;
};

namespace wirepack {

namespace detail {
template <class T>
inline constexpr bool is_flat_tuple = false;
template <class... Ts>
inline constexpr bool is_flat_tuple<flat_tuple<Ts...>> = true;
}  // namespace detail

/// Calls `f` with the elements of `t` as arguments, as `std::apply` does with a
/// `std::tuple` (but `f` must be callable as `f(args...)`: no member pointers).
///
///     wirepack::apply([](std::uint16_t kind, double x) { handle(kind, x); }, wirepack::unpack<"!Hd">(bytes));
template <class F, class Tuple>
    requires detail::is_flat_tuple<std::remove_cvref_t<Tuple>>
constexpr decltype(auto) apply(F&& f, Tuple&& t) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) -> decltype(auto) {
        return std::forward<F>(f)(get<I>(std::forward<Tuple>(t))...);
    }(std::make_index_sequence<std::tuple_size_v<std::remove_cvref_t<Tuple>>>{});
}

}  // namespace wirepack
