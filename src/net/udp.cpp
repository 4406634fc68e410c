#include <wirepack/net/udp.hpp>

#include "system_calls.hpp"

#include <wirepack/datagram.hpp>
#include <wirepack/error.hpp>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <new>

namespace wirepack::net {

namespace {

using detail::call_error;
using detail::gather_cursor;
using detail::last_error;
using detail::local_name;
using detail::peer_name;
using detail::throw_error;
using detail::total_size;

// recvmmsg takes at most UIO_MAXIOV messages a call and ignores the rest; glibc's
// IOV_MAX is that same kernel limit.
static_assert(max_datagrams_per_receive == IOV_MAX);

/// Datagrams per sendmmsg call, and so the size of the arrays on the stack.
constexpr std::size_t datagrams_per_call = 64;
/// Segments per UDP_SEGMENT send on older kernels (UDP_MAX_SEGMENTS since 4.18; newer ones
/// take 128). A socket starts with 128 and learns from the first EINVAL (send_segments).
constexpr std::size_t older_kernel_max_segments = 64;
/// A slot that holds any buffer UDP_GRO hands over: at most 64 KiB of payload.
constexpr std::size_t coalesced_slot_size = 65536;
/// Room for the UDP_GRO control message (an int: the segment size) of one slot.
constexpr std::size_t control_bytes_per_slot = CMSG_SPACE(sizeof(int));
constexpr std::size_t control_words_per_slot = (control_bytes_per_slot + 7) / 8;

/// The bytes of a batch's slots, `capacity` × `slot_size`, after refusing a capacity of 0
/// (std::errc::invalid_argument) and arrays whose size does not fit std::size_t
/// (std::errc::value_too_large), before anything is allocated.
std::size_t batch_storage_size(std::size_t capacity, std::size_t slot_size) {
    if (capacity == 0) {
        throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                                "datagram_batch: the capacity must be at least 1");
    }
    constexpr std::size_t most = std::numeric_limits<std::size_t>::max();
    const bool too_large = (slot_size != 0 && capacity > most / slot_size) || capacity > most / control_words_per_slot;
    if (too_large) {
        throw std::system_error(std::make_error_code(std::errc::value_too_large),
                                "datagram_batch: " + std::to_string(capacity) + " slots of " +
                                    std::to_string(slot_size) + " bytes: the size overflows std::size_t");
    }
    return capacity * slot_size;
}

std::size_t family_maximum(int family) noexcept {
    return family == AF_INET6 ? max_udp_payload_ipv6 : max_udp_payload_ipv4;
}

const sockaddr_in& as_ipv4(const endpoint& address) noexcept {
    return *reinterpret_cast<const sockaddr_in*>(address.data());
}

const sockaddr_in6& as_ipv6(const endpoint& address) noexcept {
    return *reinterpret_cast<const sockaddr_in6*>(address.data());
}

/// The socket's own address for messages, or its descriptor when it has none.
std::string local_description(int fd) {
    std::error_code ignored;
    const auto name = local_name(fd, ignored);
    return name.family() == AF_UNSPEC ? "fd " + std::to_string(fd) : name.to_string();
}

/// Where a send without an address goes: the connected peer.
std::string peer_description(int fd) {
    std::error_code ignored;
    const auto name = peer_name(fd, ignored);
    return name.family() == AF_UNSPEC ? "(not connected)" : name.to_string();
}

/// An address without its port: "239.1.2.3", "ff02::1:3%lo".
std::string host_text(const endpoint& address) {
    auto text = address.to_string();
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) return text;
    text.erase(colon);
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    return text;
}

[[noreturn]] void throw_too_large(std::size_t size, std::size_t maximum, const std::string& context) {
    throw error(errc::datagram_too_large, "datagram of " + std::to_string(size) + " bytes is over the " +
                                              std::to_string(maximum) + "-byte maximum payload (" + context + ")");
}

void set_int_option(int fd, int level, int option, int value, const char* option_name, const std::string& subject) {
    if (::setsockopt(fd, level, option, &value, sizeof value) != 0) {
        throw_error(last_error(), std::string(option_name) + ' ' + subject);
    }
}

/// One sendmsg of `message` to `to` (nothing: the connected peer), retrying EINTR.
void send_one(int fd, const_buffers message, const endpoint* to, std::error_code& error) noexcept {
    std::array<iovec, detail::max_ranges_per_call> vectors;
    const gather_cursor cursor(message);
    msghdr header{};
    header.msg_iov = vectors.data();
    header.msg_iovlen = cursor.fill(vectors);
    if (header.msg_iovlen == vectors.size()) {
        // A datagram cannot be split over calls: refuse a list longer than one call takes.
        gather_cursor rest = cursor;
        for (std::size_t i = 0; i < header.msg_iovlen; ++i) rest.advance(vectors[i].iov_len);
        if (!rest.done()) {
            error = std::make_error_code(std::errc::message_size);
            return;
        }
    }
    if (to != nullptr) {
        // sendmsg only reads the address; the C API lacks the const.
        header.msg_name = const_cast<sockaddr*>(to->data());
        header.msg_namelen = to->size();
    }
    for (;;) {
        if (::sendmsg(fd, &header, MSG_NOSIGNAL) >= 0) {
            error.clear();
            return;
        }
        if (errno != EINTR) break;
    }
    error = call_error(fd);
}

/// Sends `count` datagrams, `datagram_at(i)` giving the bytes and the address (or null) of
/// each, with sendmmsg calls of up to `datagrams_per_call`; returns how many were sent
/// before `error`.
template <typename DatagramAt>
std::size_t send_many(int fd, std::size_t count, DatagramAt datagram_at, std::error_code& error) noexcept {
    std::array<mmsghdr, datagrams_per_call> headers;
    std::array<iovec, datagrams_per_call> vectors;
    std::size_t sent = 0;
    error.clear();
    while (sent < count) {
        const std::size_t chunk = std::min(count - sent, datagrams_per_call);
        for (std::size_t i = 0; i < chunk; ++i) {
            const auto [bytes, to] = datagram_at(sent + i);
            vectors[i] = {const_cast<std::byte*>(bytes.data()), bytes.size()};
            headers[i] = {};
            headers[i].msg_hdr.msg_iov = &vectors[i];
            headers[i].msg_hdr.msg_iovlen = 1;
            if (to != nullptr) {
                headers[i].msg_hdr.msg_name = const_cast<sockaddr*>(to->data());
                headers[i].msg_hdr.msg_namelen = to->size();
            }
        }
        const int done = ::sendmmsg(fd, headers.data(), static_cast<unsigned>(chunk), MSG_NOSIGNAL);
        if (done < 0) {
            if (errno == EINTR) continue;
            error = call_error(fd);
            return sent;
        }
        sent += static_cast<std::size_t>(done);
    }
    return sent;
}

/// One sendmsg of `bytes` with UDP_SEGMENT `segment_size`: the kernel cuts it into datagrams.
std::error_code send_offloaded(int fd, std::span<const std::byte> bytes, std::size_t segment_size,
                               const endpoint& to) noexcept {
    iovec vector{const_cast<std::byte*>(bytes.data()), bytes.size()};
    alignas(cmsghdr) std::array<unsigned char, CMSG_SPACE(sizeof(std::uint16_t))> control{};
    msghdr header{};
    header.msg_name = const_cast<sockaddr*>(to.data());
    header.msg_namelen = to.size();
    header.msg_iov = &vector;
    header.msg_iovlen = 1;
    header.msg_control = control.data();
    header.msg_controllen = control.size();
    cmsghdr* message = CMSG_FIRSTHDR(&header);
    message->cmsg_level = SOL_UDP;
    message->cmsg_type = UDP_SEGMENT;
    message->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
    const auto size = static_cast<std::uint16_t>(segment_size);
    std::memcpy(CMSG_DATA(message), &size, sizeof size);
    for (;;) {
        if (::sendmsg(fd, &header, MSG_NOSIGNAL) >= 0) return {};
        if (errno != EINTR) return call_error(fd);
    }
}

/// Whether the kernel knows UDP_SEGMENT (Linux 4.18 and later) for the socket `fd`.
bool kernel_has_udp_segment(int fd) noexcept {
    int size = 0;
    socklen_t length = sizeof size;
    return ::getsockopt(fd, SOL_UDP, UDP_SEGMENT, &size, &length) == 0;
}

/// Whether a failed UDP_SEGMENT send means "not this way" rather than a real failure:
/// no such option, a device that cannot segment (EIO), or a segment over the path MTU
/// (EINVAL before Linux 6.10ish, EMSGSIZE since). The send is then redone with sendmmsg,
/// which reports a real failure again.
bool is_offload_refusal(std::error_code error) noexcept {
    return error == std::errc::invalid_argument || error == std::errc::io_error ||
           error == std::errc::message_size ||
           error == std::errc::no_protocol_option || error == std::errc::operation_not_supported;
}

/// The UDP_GRO segment size in a received message's control data; 0 when there is none.
std::size_t coalesced_segment_size(msghdr& header) noexcept {
    for (cmsghdr* message = CMSG_FIRSTHDR(&header); message != nullptr; message = CMSG_NXTHDR(&header, message)) {
        if (message->cmsg_level == SOL_UDP && message->cmsg_type == UDP_GRO &&
            message->cmsg_len >= CMSG_LEN(sizeof(int))) {
            int size = 0;
            std::memcpy(&size, CMSG_DATA(message), sizeof size);
            return size > 0 ? static_cast<std::size_t>(size) : 0;
        }
    }
    return 0;
}

// ---------------------------------------------------------------------------------------
// multicast helpers

/// The index of the interface that has the IPv4 address `address`.
unsigned index_of_address(const std::string& address) {
    in_addr wanted{};
    ::inet_pton(AF_INET, address.c_str(), &wanted);
    ifaddrs* raw_list = nullptr;
    if (::getifaddrs(&raw_list) != 0) throw_error(last_error(), "getifaddrs");
    const std::unique_ptr<ifaddrs, decltype(&::freeifaddrs)> list(raw_list, &::freeifaddrs);
    for (const ifaddrs* entry = list.get(); entry != nullptr; entry = entry->ifa_next) {
        if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET) continue;
        if (reinterpret_cast<const sockaddr_in*>(entry->ifa_addr)->sin_addr.s_addr != wanted.s_addr) continue;
        if (const unsigned index = ::if_nametoindex(entry->ifa_name); index != 0) return index;
    }
    throw std::system_error(std::make_error_code(std::errc::no_such_device),
                            "multicast interface " + address + ": no interface has this address");
}

/// The interface index an IPv6 membership or send uses for `iface`: its own, the one
/// of its IPv4 address, or for `any()` the group's scope id (0 when it has none).
unsigned ipv6_index(const multicast_interface& iface, const endpoint* group) {
    if (iface.index() != 0) return iface.index();
    if (!iface.address().empty()) return index_of_address(iface.address());
    return group != nullptr && group->family() == AF_INET6 ? as_ipv6(*group).sin6_scope_id : 0;
}

/// ip_mreqn naming `iface` by index or by address; zero for `any()`.
ip_mreqn ipv4_interface_request(const multicast_interface& iface) noexcept {
    ip_mreqn request{};
    request.imr_ifindex = static_cast<int>(iface.index());
    if (!iface.address().empty()) ::inet_pton(AF_INET, iface.address().c_str(), &request.imr_address);
    return request;
}

std::string describe(const multicast_interface& iface) {
    if (iface.index() != 0) {
        char name[IF_NAMESIZE] = {};
        if (::if_indextoname(iface.index(), name) != nullptr) return name;
        return "interface " + std::to_string(iface.index());
    }
    if (!iface.address().empty()) return iface.address();
    return "any interface";
}

/// Refuses a group that is no multicast address, or of the other family than `family`.
void check_group(const endpoint& group, int family, const char* call) {
    if (!is_multicast(group)) {
        throw error(errc::not_a_multicast_group, std::string(call) + ' ' + host_text(group) +
                                                     ": not a multicast group (224.0.0.0/4 or ff00::/8)");
    }
    if (group.family() != family) {
        throw std::system_error(std::make_error_code(std::errc::address_family_not_supported),
                                std::string(call) + ' ' + host_text(group) +
                                    ": group of the other family than the socket");
    }
}

/// Whether an IPv6 multicast address is interface-local or link-local, so that binding
/// to it needs an interface.
bool needs_scope(const in6_addr& group) noexcept {
    const unsigned scope = group.s6_addr[1] & 0x0fU;
    return scope == 1 || scope == 2;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// datagram_batch

datagram_batch::datagram_batch(std::size_t capacity, std::size_t slot_size)
    : slot_size_(slot_size),
      storage_(batch_storage_size(capacity, slot_size)),
      senders_(capacity),
      headers_(capacity),
      vectors_(capacity),
      control_(capacity * control_words_per_slot) {
    entries_.reserve(capacity);
}

void datagram_batch::prepare_slots(std::size_t slots, bool with_segment_sizes) noexcept {
    entries_.clear();
    for (std::size_t i = 0; i < slots; ++i) {
        vectors_[i] = {storage_.data() + i * slot_size_, slot_size_};
        auto& header = headers_[i];
        header = {};
        header.msg_hdr.msg_name = senders_[i].data();
        header.msg_hdr.msg_namelen = endpoint::capacity();
        header.msg_hdr.msg_iov = &vectors_[i];
        header.msg_hdr.msg_iovlen = 1;
        if (with_segment_sizes) {
            header.msg_hdr.msg_control = control_.data() + i * control_words_per_slot;
            header.msg_hdr.msg_controllen = control_words_per_slot * sizeof(std::uint64_t);
        }
    }
}

void datagram_batch::list_datagrams(std::size_t filled, bool split_coalesced) {
    for (std::size_t slot = 0; slot < filled; ++slot) {
        auto& header = headers_[slot];
        senders_[slot].resize(std::min(header.msg_hdr.msg_namelen, endpoint::capacity()));
        const std::size_t real = header.msg_len;
        const std::size_t start = slot * slot_size_;
        const std::size_t segment = split_coalesced ? coalesced_segment_size(header.msg_hdr) : 0;
        if (segment == 0 || segment >= real) {
            entries_.push_back({start, std::min(real, slot_size_), real, slot});
            continue;
        }
        // Several datagrams of one sender, back to back, all `segment` long but the last.
        for (std::size_t offset = 0; offset < real; offset += segment) {
            const std::size_t size = std::min(segment, real - offset);
            const std::size_t held = offset >= slot_size_ ? 0 : std::min(size, slot_size_ - offset);
            entries_.push_back({start + std::min(offset, slot_size_), held, size, slot});
        }
    }
}

// ---------------------------------------------------------------------------------------
// multicast_interface

multicast_interface multicast_interface::by_index(unsigned index) noexcept {
    multicast_interface iface;
    iface.index_ = index;
    return iface;
}

multicast_interface multicast_interface::by_address(std::string_view ipv4) {
    const std::string text(ipv4);
    in_addr address{};
    if (::inet_pton(AF_INET, text.c_str(), &address) != 1) {
        throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                                "multicast interface \"" + text + "\": not an IPv4 address");
    }
    char canonical[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &address, canonical, sizeof canonical);
    multicast_interface iface;
    iface.address_ = canonical;
    return iface;
}

multicast_interface multicast_interface::by_name(std::string_view name) {
    const std::string text(name);
    const unsigned index = text.find('\0') == std::string::npos ? ::if_nametoindex(text.c_str()) : 0;
    if (index == 0) {
        throw std::system_error(std::make_error_code(std::errc::no_such_device),
                                "multicast interface \"" + text + "\": no such interface");
    }
    return by_index(index);
}

multicast_interface multicast_interface::parse(std::string_view s) {
    const std::string text(s);
    in_addr address{};
    if (::inet_pton(AF_INET, text.c_str(), &address) == 1) return by_address(text);
    return by_name(text);
}

bool is_multicast(const endpoint& address) noexcept {
    switch (address.family()) {
    case AF_INET: return (ntohl(as_ipv4(address).sin_addr.s_addr) & 0xf0000000U) == 0xe0000000U;
    case AF_INET6: return as_ipv6(address).sin6_addr.s6_addr[0] == 0xff;
    default: return false;
    }
}

// ---------------------------------------------------------------------------------------
// udp_socket: setting up

udp_socket udp_socket::open(int family, udp_options options) {
    if (family != AF_INET && family != AF_INET6) {
        throw std::system_error(std::make_error_code(std::errc::address_family_not_supported),
                                "udp_socket: address family " + std::to_string(family) + " is neither IPv4 nor IPv6");
    }
    udp_socket socket;
    socket.fd_.reset(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!socket.fd_) throw_error(last_error(), family == AF_INET ? "socket (UDP, IPv4)" : "socket (UDP, IPv6)");
    socket.family_ = family;
    const std::size_t maximum = family_maximum(family);
    socket.max_payload_ = std::min(options.max_payload.value_or(maximum), maximum);
    const int fd = socket.fd_.get();
    // Asked once here, not on every send_segments: the probe is a system call, as
    // costly as a tenth of a 64-datagram UDP_SEGMENT send.
    socket.segmentation_allowed_ = options.segmentation_offload && kernel_has_udp_segment(fd);
    const std::string subject = "(new UDP socket)";
    if (options.reuse_address) set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR", subject);
    if (options.reuse_port) set_int_option(fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT", subject);
    if (family == AF_INET6) set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY", subject);
    return socket;
}

udp_socket udp_socket::bind(const endpoint& at, udp_options options) {
    auto socket = open(at.family(), options);
    if (::bind(socket.fd_.get(), at.data(), at.size()) != 0) throw_error(last_error(), "bind " + at.to_string());
    return socket;
}

udp_socket udp_socket::bind_udp(std::string_view host_port, udp_options options) {
    return bind(endpoint::resolve(host_port, SOCK_DGRAM).front(), options);
}

udp_socket udp_socket::connect_udp(std::string_view host_port, udp_options options) {
    return detail::first_address_that_works(host_port, SOCK_DGRAM, [&](const endpoint& candidate) {
        auto socket = open(candidate.family(), options);
        socket.connect(candidate);
        return socket;
    });
}

udp_socket udp_socket::multicast_receiver(std::string_view group, multicast_interface iface) {
    auto address = endpoint::resolve(group, SOCK_DGRAM).front();
    if (!is_multicast(address)) {
        throw error(errc::not_a_multicast_group, "multicast_receiver " + std::string(group) +
                                                     ": not a multicast group (224.0.0.0/4 or ff00::/8)");
    }
    // SO_REUSEADDR alone lets several receivers share the group and port, and each gets
    // every datagram. SO_REUSEPORT is left off on purpose: it makes the kernel pick one
    // socket of the group for some datagrams, so a receiver joined on another interface
    // could take datagrams meant for this one.
    udp_options options;
    options.reuse_address = true;
    auto socket = open(address.family(), options);
    const int fd = socket.fd_.get();
    if (address.family() == AF_INET) {
        set_int_option(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL", address.to_string());
    } else {
        // Linux 4.20 and later; before, an IPv6 socket bound to a group only gets that group anyway.
        const int off = 0;
        if (::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &off, sizeof off) != 0 && errno != ENOPROTOOPT) {
            throw_error(last_error(), "IPV6_MULTICAST_ALL " + address.to_string());
        }
        auto& ipv6 = *reinterpret_cast<sockaddr_in6*>(address.data());
        if (ipv6.sin6_scope_id == 0 && needs_scope(ipv6.sin6_addr)) ipv6.sin6_scope_id = ipv6_index(iface, nullptr);
    }
    if (::bind(fd, address.data(), address.size()) != 0) {
        throw_error(last_error(), "bind " + address.to_string() + " (multicast receiver on " + describe(iface) + ")");
    }
    socket.join_group(address, iface);
    return socket;
}

void udp_socket::connect(const endpoint& to) {
    if (::connect(fd_.get(), to.data(), to.size()) != 0) throw_error(last_error(), "connect " + to.to_string());
}

// ---------------------------------------------------------------------------------------
// udp_socket: one datagram at a time

void udp_socket::send_to(const_buffers message, const endpoint& to, std::error_code& error) noexcept {
    if (total_size(message) > max_payload_) {
        error = make_error_code(errc::datagram_too_large);
        return;
    }
    send_one(fd_.get(), message, &to, error);
}

void udp_socket::send_to(const_buffers message, const endpoint& to) {
    const std::size_t size = total_size(message);
    if (size > max_payload_) throw_too_large(size, max_payload_, "sendto " + to.to_string());
    std::error_code error;
    send_one(fd_.get(), message, &to, error);
    if (error) throw_error(error, "sendto " + to.to_string());
}

void udp_socket::send_to(std::span<const std::byte> message, const endpoint& to) {
    send_to(const_buffers(&message, 1), to);
}

void udp_socket::send(const_buffers message) {
    const std::size_t size = total_size(message);
    if (size > max_payload_) throw_too_large(size, max_payload_, "send " + peer_description(fd_.get()));
    std::error_code error;
    send_one(fd_.get(), message, nullptr, error);
    if (error) throw_error(error, "send " + peer_description(fd_.get()));
}

void udp_socket::send(std::span<const std::byte> message) { send(const_buffers(&message, 1)); }

received_datagram udp_socket::receive_from(std::span<std::byte> buffer, std::error_code& error) noexcept {
    received_datagram result;
    std::span<const std::byte> bytes;
    if (held_) {
        // UDP_GRO is on: the kernel may hand several datagrams over as one buffer. Take it
        // whole into held_, hand out one.
        if (held_next_ >= held_->size()) {
            held_next_ = 0;
            try {
                receive_into(*held_, error);
            } catch (const std::bad_alloc&) {
                error = std::make_error_code(std::errc::not_enough_memory);
            }
            if (error) return {};
        }
        const std::size_t i = held_next_++;
        bytes = held_->bytes(i);
        result.from = held_->from(i);
        result.real_size = held_->real_size(i);
        const std::size_t copied = std::min(bytes.size(), buffer.size());
        if (copied > 0) std::memcpy(buffer.data(), bytes.data(), copied);
        result.bytes = buffer.first(copied);
    } else {
        iovec vector{buffer.data(), buffer.size()};
        msghdr header{};
        header.msg_name = result.from.data();
        header.msg_namelen = endpoint::capacity();
        header.msg_iov = &vector;
        header.msg_iovlen = 1;
        ssize_t received = -1;
        for (;;) {
            // MSG_TRUNC: the datagram's real size even when it does not fit.
            received = ::recvmsg(fd_.get(), &header, MSG_TRUNC);
            if (received >= 0 || errno != EINTR) break;
        }
        if (received < 0) {
            error = call_error(fd_.get());
            return {};
        }
        result.from.resize(std::min(header.msg_namelen, endpoint::capacity()));
        result.real_size = static_cast<std::size_t>(received);
        result.bytes = buffer.first(std::min(result.real_size, buffer.size()));
    }
    if (result.real_size > result.bytes.size()) {
        error = make_error_code(errc::datagram_truncated);
    } else {
        error.clear();
    }
    return result;
}

received_datagram udp_socket::receive_from(std::span<std::byte> buffer) {
    std::error_code failure;
    auto result = receive_from(buffer, failure);
    if (failure == errc::datagram_truncated) {
        throw error(errc::datagram_truncated,
                    "datagram of " + std::to_string(result.real_size) + " bytes from " + result.from.to_string() +
                        " is larger than the " + std::to_string(buffer.size()) +
                        "-byte receive buffer: truncated, and discarded (recvmsg on " +
                        local_description(fd_.get()) + ")");
    }
    if (failure) throw_error(failure, "recvmsg on " + local_description(fd_.get()));
    return result;
}

// ---------------------------------------------------------------------------------------
// udp_socket: many datagrams per call

std::size_t udp_socket::send_batch(std::span<const outgoing_datagram> messages, std::error_code& error) noexcept {
    for (const auto& message : messages) {
        if (message.bytes.size() > max_payload_) {
            error = make_error_code(errc::datagram_too_large);
            return 0;
        }
    }
    const auto datagram_at = [messages](std::size_t i) { return std::pair(messages[i].bytes, messages[i].to); };
    return send_many(fd_.get(), messages.size(), datagram_at, error);
}

void udp_socket::send_batch(std::span<const outgoing_datagram> messages) {
    const auto destination = [this](const outgoing_datagram& message) {
        return message.to != nullptr ? message.to->to_string() : peer_description(fd_.get());
    };
    for (std::size_t i = 0; i < messages.size(); ++i) {
        if (messages[i].bytes.size() > max_payload_) {
            throw_too_large(messages[i].bytes.size(), max_payload_,
                            "send_batch: datagram " + std::to_string(i) + " of " + std::to_string(messages.size()) +
                                " to " + destination(messages[i]) + "; none sent");
        }
    }
    std::error_code error;
    const std::size_t sent = send_batch(messages, error);
    if (error) {
        throw_error(error, "sendmmsg " + destination(messages[sent]) + " (" + std::to_string(sent) + " of " +
                               std::to_string(messages.size()) + " datagrams sent)");
    }
}

std::size_t udp_socket::receive_into(datagram_batch& batch, std::error_code& error) {
    const std::size_t slots = std::min(batch.capacity(), max_datagrams_per_receive);
    batch.prepare_slots(slots, receive_offload_);
    int received = -1;
    for (;;) {
        // MSG_WAITFORONE: wait (as recvmsg does, SO_RCVTIMEO included) for the first
        // datagram only, then take what is queued. MSG_TRUNC: real sizes in msg_len.
        received = ::recvmmsg(fd_.get(), batch.headers_.data(), static_cast<unsigned>(slots),
                              MSG_WAITFORONE | MSG_TRUNC, nullptr);
        if (received >= 0 || errno != EINTR) break;
    }
    if (received < 0) {
        error = call_error(fd_.get());
        return 0;
    }
    error.clear();
    batch.list_datagrams(static_cast<std::size_t>(received), receive_offload_);
    return batch.size();
}

std::size_t udp_socket::take_held(datagram_batch& batch) noexcept {
    batch.entries_.clear();
    for (std::size_t slot = 0; slot < batch.capacity() && held_next_ < held_->size(); ++slot, ++held_next_) {
        const auto bytes = held_->bytes(held_next_);
        const std::size_t start = slot * batch.slot_size();
        const std::size_t held = std::min(bytes.size(), batch.slot_size());
        if (held > 0) std::memcpy(batch.storage_.data() + start, bytes.data(), held);
        batch.senders_[slot] = held_->from(held_next_);
        // Within the reserved capacity: no allocation.
        batch.entries_.push_back({start, held, held_->real_size(held_next_), slot});
    }
    return batch.size();
}

std::size_t udp_socket::receive_batch(datagram_batch& batch) {
    if (held_ && held_next_ < held_->size()) return take_held(batch);
    std::error_code error;
    receive_into(batch, error);
    if (error) throw_error(error, "recvmmsg on " + local_description(fd_.get()));
    return batch.size();
}

bool udp_socket::segmentation_offload() const noexcept {
    return is_open() && segmentation_allowed_ && !segmentation_refused_;  // a moved-from socket: closed
}

void udp_socket::send_segments(std::span<const std::byte> bytes, std::size_t segment_size, const endpoint& to) {
    if (segment_size == 0) {
        throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                                "send_segments to " + to.to_string() + ": segment size 0");
    }
    if (segment_size > max_payload_) throw_too_large(segment_size, max_payload_, "send_segments to " + to.to_string());
    const auto per_offload = [&] { return std::min(segments_per_offload_, family_maximum(family_) / segment_size); };
    bool offload = per_offload() >= 2 && segmentation_offload();
    std::size_t offset = 0;
    while (offset < bytes.size()) {
        const std::size_t left = bytes.size() - offset;
        const std::size_t segments_left = (left + segment_size - 1) / segment_size;
        if (offload && segments_left > 1) {
            const std::size_t segments = std::min(segments_left, per_offload());
            const std::size_t chunk = std::min(left, segments * segment_size);
            const auto error = send_offloaded(fd_.get(), bytes.subspan(offset, chunk), segment_size, to);
            if (!error) {
                offset += chunk;
                continue;
            }
            if (error == std::errc::invalid_argument && segments > older_kernel_max_segments) {
                // An older kernel's limit (or a segment over the path MTU, which the retry
                // with 64 reports again): this socket sends 64 at a time from now on.
                segments_per_offload_ = older_kernel_max_segments;
                continue;
            }
            if (!is_offload_refusal(error)) throw_error(error, "sendmsg (UDP_SEGMENT) " + to.to_string());
            if (error == std::errc::no_protocol_option || error == std::errc::operation_not_supported) {
                segmentation_refused_ = true;
            }
            offload = false;  // the rest of this call goes by sendmmsg
        }
        const std::size_t count = offload ? 1 : std::min(segments_left, datagrams_per_call);
        const auto segment_at = [&](std::size_t i) {
            const std::size_t from = offset + i * segment_size;
            return std::pair(bytes.subspan(from, std::min(segment_size, bytes.size() - from)), &to);
        };
        std::error_code error;
        const std::size_t sent = send_many(fd_.get(), count, segment_at, error);
        offset = std::min(bytes.size(), offset + sent * segment_size);
        if (error) {
            throw_error(error, "sendmmsg " + to.to_string() + " (" + std::to_string(offset) + " of " +
                                   std::to_string(bytes.size()) + " bytes sent)");
        }
    }
}

bool udp_socket::enable_receive_offload() {
    const int on = 1;
    if (::setsockopt(fd_.get(), SOL_UDP, UDP_GRO, &on, sizeof on) != 0) {
        if (errno == ENOPROTOOPT || errno == EOPNOTSUPP || errno == EINVAL) return false;
        throw_error(last_error(), "UDP_GRO " + local_description(fd_.get()));
    }
    if (!held_) {
        held_ = std::make_unique<datagram_batch>(1, coalesced_slot_size);
        // Newer kernels coalesce up to 128 datagrams: room for them all without allocating.
        held_->entries_.reserve(128);
        held_next_ = 0;
    }
    receive_offload_ = true;
    return true;
}

// ---------------------------------------------------------------------------------------
// udp_socket: multicast

void udp_socket::join_group(const endpoint& group, multicast_interface iface) {
    check_group(group, family_, "join_group");
    const auto context = [&] { return "join_group " + host_text(group) + " on " + describe(iface); };
    if (family_ == AF_INET) {
        ip_mreqn request = ipv4_interface_request(iface);
        request.imr_multiaddr = as_ipv4(group).sin_addr;
        if (::setsockopt(fd_.get(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &request, sizeof request) != 0) {
            throw_error(last_error(), context());
        }
    } else {
        ipv6_mreq request{};
        request.ipv6mr_multiaddr = as_ipv6(group).sin6_addr;
        request.ipv6mr_interface = ipv6_index(iface, &group);
        if (::setsockopt(fd_.get(), IPPROTO_IPV6, IPV6_JOIN_GROUP, &request, sizeof request) != 0) {
            throw_error(last_error(), context());
        }
    }
}

void udp_socket::join_source_group(const endpoint& group, const endpoint& source, multicast_interface iface) {
    check_group(group, family_, "join_source_group");
    const auto context = [&] {
        return "join_source_group " + host_text(group) + " from " + host_text(source) + " on " + describe(iface);
    };
    if (source.family() != family_) {
        throw std::system_error(std::make_error_code(std::errc::address_family_not_supported),
                                context() + ": source of the other family than the socket");
    }
    if (family_ == AF_INET && iface.index() == 0 && !iface.address().empty()) {
        ip_mreq_source request{};
        request.imr_multiaddr = as_ipv4(group).sin_addr;
        request.imr_sourceaddr = as_ipv4(source).sin_addr;
        ::inet_pton(AF_INET, iface.address().c_str(), &request.imr_interface);
        if (::setsockopt(fd_.get(), IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, &request, sizeof request) != 0) {
            throw_error(last_error(), context());
        }
        return;
    }
    group_source_req request{};
    request.gsr_interface = family_ == AF_INET ? iface.index() : ipv6_index(iface, &group);
    std::memcpy(&request.gsr_group, group.data(), group.size());
    std::memcpy(&request.gsr_source, source.data(), source.size());
    const int level = family_ == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
    if (::setsockopt(fd_.get(), level, MCAST_JOIN_SOURCE_GROUP, &request, sizeof request) != 0) {
        throw_error(last_error(), context());
    }
}

void udp_socket::leave_group(const endpoint& group, multicast_interface iface) {
    check_group(group, family_, "leave_group");
    const auto context = [&] { return "leave_group " + host_text(group) + " on " + describe(iface); };
    if (family_ == AF_INET) {
        ip_mreqn request = ipv4_interface_request(iface);
        request.imr_multiaddr = as_ipv4(group).sin_addr;
        if (::setsockopt(fd_.get(), IPPROTO_IP, IP_DROP_MEMBERSHIP, &request, sizeof request) != 0) {
            throw_error(last_error(), context());
        }
    } else {
        ipv6_mreq request{};
        request.ipv6mr_multiaddr = as_ipv6(group).sin6_addr;
        request.ipv6mr_interface = ipv6_index(iface, &group);
        if (::setsockopt(fd_.get(), IPPROTO_IPV6, IPV6_LEAVE_GROUP, &request, sizeof request) != 0) {
            throw_error(last_error(), context());
        }
    }
}

void udp_socket::set_multicast_interface(multicast_interface iface) {
    const auto context = "set_multicast_interface " + describe(iface);
    if (family_ == AF_INET) {
        const ip_mreqn request = ipv4_interface_request(iface);
        if (::setsockopt(fd_.get(), IPPROTO_IP, IP_MULTICAST_IF, &request, sizeof request) != 0) {
            throw_error(last_error(), context);
        }
    } else {
        set_int_option(fd_.get(), IPPROTO_IPV6, IPV6_MULTICAST_IF, static_cast<int>(ipv6_index(iface, nullptr)),
                       "IPV6_MULTICAST_IF", describe(iface));
    }
}

void udp_socket::set_multicast_hops(int hops) {
    if (hops < 0 || hops > 255) {
        throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                                "set_multicast_hops " + std::to_string(hops) + ": must be 0 to 255");
    }
    const auto subject = local_description(fd_.get());
    if (family_ == AF_INET) {
        set_int_option(fd_.get(), IPPROTO_IP, IP_MULTICAST_TTL, hops, "IP_MULTICAST_TTL", subject);
    } else {
        set_int_option(fd_.get(), IPPROTO_IPV6, IPV6_MULTICAST_HOPS, hops, "IPV6_MULTICAST_HOPS", subject);
    }
}

void udp_socket::set_multicast_loopback(bool on) {
    const auto subject = local_description(fd_.get());
    if (family_ == AF_INET) {
        set_int_option(fd_.get(), IPPROTO_IP, IP_MULTICAST_LOOP, on ? 1 : 0, "IP_MULTICAST_LOOP", subject);
    } else {
        set_int_option(fd_.get(), IPPROTO_IPV6, IPV6_MULTICAST_LOOP, on ? 1 : 0, "IPV6_MULTICAST_LOOP", subject);
    }
}

// ---------------------------------------------------------------------------------------
// udp_socket: modes and names

void udp_socket::set_timeout(std::optional<std::chrono::milliseconds> timeout) {
    detail::set_timeout(fd_.get(), timeout, [this] { return local_description(fd_.get()); });
}

void udp_socket::set_nonblocking(bool on) { detail::set_nonblocking_flag(fd_.get(), on); }

endpoint udp_socket::local_endpoint() const { return detail::local_endpoint_of(fd_.get()); }

}  // namespace wirepack::net
