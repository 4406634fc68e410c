#pragma once
/// \file
/// UDP sockets over IPv4 and IPv6: datagrams one at a time or many per system call,
/// segmentation offload where the kernel has it, and IP multicast.
///
/// Errors follow <wirepack/net/stream.hpp>: std::system_error with the errno for what the
/// kernel refuses (std::errc::timed_out after `set_timeout`), and wirepack::error for what
/// wirepack refuses: errc::datagram_too_large before anything is sent, errc::datagram_truncated
/// for a datagram larger than the receive buffer (its real size is in the message; the
/// datagram is consumed and the socket stays usable), errc::not_a_multicast_group.
///
/// IPv6 sockets are IPv6-only (IPV6_V6ONLY): an IPv4 peer needs an IPv4 socket, so
/// `max_payload()` is always the right one for what goes on the wire.

#include <sys/socket.h>
#include <sys/uio.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <wirepack/net/endpoint.hpp>
#include <wirepack/net/file_descriptor.hpp>
#include <wirepack/net/stream.hpp>

namespace wirepack::net {

/// The most slots one `udp_socket::receive_batch` fills, however large the batch: it makes
/// one recvmmsg call, and the kernel takes at most 1024 messages (UIO_MAXIOV) a call.
inline constexpr std::size_t max_datagrams_per_receive = 1024;

/// Options applied before bind.
struct udp_options {
    bool reuse_address = false;  ///< SO_REUSEADDR: several receivers of one group and port
    bool reuse_port = false;     ///< SO_REUSEPORT
    /// The largest datagram `send*` accepts; nothing = the family's UDP maximum
    /// (wirepack::max_udp_payload_ipv4 / _ipv6). A larger value is clamped to it.
    std::optional<std::size_t> max_payload;
    /// false: `send_segments` never uses UDP_SEGMENT, always sendmmsg (to compare, or to
    /// work around a device that mishandles it).
    bool segmentation_offload = true;
};

/// One datagram received: its bytes in the caller's buffer, and its sender.
struct received_datagram {
    std::span<std::byte> bytes;
    endpoint from;
    /// Its size on the wire: `bytes.size()`, except in what the non-throwing
    /// `receive_from` returns with errc::datagram_truncated, where it is larger.
    std::size_t real_size = 0;
};

/// One datagram to send with `send_batch`: its bytes, and where to (nothing: the
/// connected peer).
struct outgoing_datagram {
    std::span<const std::byte> bytes;
    const endpoint* to = nullptr;
};

/// Room for receiving up to `capacity` datagrams of up to `slot_size` bytes each with one
/// `udp_socket::receive_batch` (which fills at most `max_datagrams_per_receive` slots a
/// call); the results stay valid until the next receive into it.
/// With `udp_socket::enable_receive_offload` one slot may carry several datagrams of one
/// sender, each still its own entry, so `size()` can then exceed `capacity()`.
///
///     wirepack::net::datagram_batch batch(64, 2048);
///     std::size_t n = socket.receive_batch(batch);
///     for (std::size_t i = 0; i < n; ++i) {
///         if (batch.truncated(i)) { report(batch.real_size(i)); continue; }
///         handle(batch.bytes(i), batch.from(i));
///     }
class datagram_batch {
public:
    /// Allocates `capacity` × `slot_size` bytes. Throws std::system_error:
    /// std::errc::invalid_argument for a capacity of 0, std::errc::value_too_large when
    /// that product does not fit std::size_t (std::bad_alloc when it merely does not fit
    /// in memory).
    datagram_batch(std::size_t capacity, std::size_t slot_size);

    [[nodiscard]] std::size_t capacity() const noexcept { return senders_.size(); }
    [[nodiscard]] std::size_t slot_size() const noexcept { return slot_size_; }
    /// Datagrams held by the last receive.
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

    /// The bytes of datagram `i` (only what fitted its slot when truncated).
    [[nodiscard]] std::span<const std::byte> bytes(std::size_t i) const noexcept {
        return {storage_.data() + entries_[i].offset, entries_[i].held};
    }
    [[nodiscard]] const endpoint& from(std::size_t i) const noexcept { return senders_[entries_[i].slot]; }
    /// The datagram's size on the wire, over `bytes(i).size()` exactly when `truncated(i)`.
    [[nodiscard]] std::size_t real_size(std::size_t i) const noexcept { return entries_[i].real; }
    [[nodiscard]] bool truncated(std::size_t i) const noexcept { return entries_[i].real > entries_[i].held; }

private:
    friend class udp_socket;

    /// Points the recvmmsg header of each of the first `slots` slots at its bytes, its
    /// sender and (for UDP_GRO's segment size) its control room; forgets the last receive.
    void prepare_slots(std::size_t slots, bool with_segment_sizes) noexcept;
    /// Lists the datagrams recvmmsg put in the first `filled` slots, one entry each; with
    /// `split_coalesced`, a slot that holds several of one sender (UDP_GRO) gives one per datagram.
    void list_datagrams(std::size_t filled, bool split_coalesced);

    struct entry {
        std::size_t offset;  // of its bytes in storage_
        std::size_t held;    // bytes in storage_
        std::size_t real;    // size on the wire (MSG_TRUNC, or the UDP_GRO segment size)
        std::size_t slot;    // the slot it arrived in, which holds its sender
    };

    std::size_t slot_size_;
    std::vector<std::byte> storage_;   // capacity * slot_size bytes, slot after slot
    std::vector<endpoint> senders_;    // one per slot
    std::vector<entry> entries_;       // the datagrams of the last receive, in order
    std::vector<mmsghdr> headers_;     // recvmmsg's arguments, one per slot
    std::vector<iovec> vectors_;
    std::vector<std::uint64_t> control_;  // room for a UDP_GRO control message per slot
};

/// The interface a multicast group is joined on or sent from.
///
///     auto lo = wirepack::net::multicast_interface::parse("lo");          // by name
///     auto v4 = wirepack::net::multicast_interface::parse("127.0.0.1");   // by IPv4 address
class multicast_interface {
public:
    /// The kernel's choice (the default route's interface): only when asked for.
    [[nodiscard]] static multicast_interface any() noexcept { return {}; }
    [[nodiscard]] static multicast_interface by_index(unsigned index) noexcept;
    /// An IPv4 interface address (for IPv4, also the source address of what is sent);
    /// for IPv6 groups its interface's index is looked up when it is used.
    /// Throws std::system_error (std::errc::invalid_argument) when `ipv4` is not one.
    [[nodiscard]] static multicast_interface by_address(std::string_view ipv4);
    /// An interface name ("lo", "veth0"); throws std::system_error (no_such_device) when unknown.
    [[nodiscard]] static multicast_interface by_name(std::string_view name);
    /// An IPv4 address when `s` parses as one, else an interface name.
    [[nodiscard]] static multicast_interface parse(std::string_view s);

    [[nodiscard]] unsigned index() const noexcept { return index_; }  ///< 0: none (any, or by address)
    [[nodiscard]] const std::string& address() const noexcept { return address_; }

private:
    unsigned index_ = 0;
    std::string address_;  // the IPv4 address it was given by, or ""
};

/// True for 224.0.0.0/4 and ff00::/8.
[[nodiscard]] bool is_multicast(const endpoint& address) noexcept;

/// A UDP socket. Move-only; closes on destruction.
///
///     auto server = wirepack::net::udp_socket::bind_udp("127.0.0.1:0");
///     std::array<std::byte, 65536> buffer;
///     auto d = server.receive_from(buffer);
///     server.send_to(d.bytes, d.from);                      // echo
class udp_socket {
public:
    udp_socket() noexcept = default;

    /// An unbound socket of `family` (AF_INET or AF_INET6), e.g. for a sender.
    [[nodiscard]] static udp_socket open(int family, udp_options options = {});
    /// A socket bound to `at` (port 0: a free port, which `local_endpoint()` tells).
    /// Throws std::errc::address_family_not_supported for a family other than IPv4 or IPv6.
    [[nodiscard]] static udp_socket bind(const endpoint& at, udp_options options = {});
    /// `bind` to the first address "HOST:PORT" or "[V6]:PORT" resolves to.
    [[nodiscard]] static udp_socket bind_udp(std::string_view host_port, udp_options options = {});
    /// A socket connected to "HOST:PORT": `send` goes there, and only its datagrams arrive.
    /// Tries each resolved address in turn; throws the last one's error when none works.
    [[nodiscard]] static udp_socket connect_udp(std::string_view host_port, udp_options options = {});
    /// A receiver of `group` (an address:port, e.g. "239.1.2.3:5000" or "[ff02::1:3]:5000")
    /// on `iface`: SO_REUSEADDR so several receivers share it (each gets every datagram; not
    /// SO_REUSEPORT, which would let the kernel hand a datagram to just one), bound to the
    /// group address (so it gets only that group), IP_MULTICAST_ALL / IPV6_MULTICAST_ALL
    /// off (so other sockets' memberships do not leak in), then joined. A link-local IPv6
    /// group without a "%scope" is bound with `iface`'s index as its scope.
    /// Throws errc::not_a_multicast_group for any other address.
    ///
    ///     auto r = wirepack::net::udp_socket::multicast_receiver("239.1.2.3:5000",
    ///                                                            wirepack::net::multicast_interface::parse("lo"));
    [[nodiscard]] static udp_socket multicast_receiver(std::string_view group, multicast_interface iface);

    /// Sets the peer (connect on a datagram socket sends nothing): `send` goes there, and
    /// only its datagrams arrive.
    ///
    ///     socket.connect(wirepack::net::endpoint::resolve("127.0.0.1:5000", SOCK_DGRAM).front());
    void connect(const endpoint& to);

    /// Sends one datagram. Throws errc::datagram_too_large, before sending, when it is
    /// over `max_payload()`; std::system_error (std::errc::message_size), also before
    /// sending, for a gather list of more than IOV_MAX (1024) ranges, which one sendmsg
    /// cannot take; else the errno of sendmsg.
    ///
    ///     socket.send_to(payload, wirepack::net::endpoint::resolve("[::1]:5000", SOCK_DGRAM).front());
    void send_to(std::span<const std::byte> message, const endpoint& to);
    void send_to(const_buffers message, const endpoint& to);
    /// `send_to` the connected peer; throws the same errors.
    ///
    ///     socket.send(payload);
    void send(std::span<const std::byte> message);
    void send(const_buffers message);
    /// Non-throwing form for event loops: `error` is errc::datagram_too_large, or the errno.
    /// A gather list of more than IOV_MAX ranges is std::errc::message_size.
    ///
    ///     socket.send_to(parts, peer, error);   // EAGAIN on a non-blocking socket: poll for POLLOUT
    void send_to(const_buffers message, const endpoint& to, std::error_code& error) noexcept;

    /// Receives one datagram into `buffer`. Throws errc::datagram_truncated (naming the
    /// real size) when it did not fit; that datagram is gone, the socket stays usable.
    ///
    ///     auto d = socket.receive_from(buffer);   // d.bytes: within buffer; d.from: the sender
    [[nodiscard]] received_datagram receive_from(std::span<std::byte> buffer);
    /// Non-throwing form: a truncated datagram sets errc::datagram_truncated and still
    /// returns what fitted, its sender and its `real_size`.
    ///
    ///     auto d = socket.receive_from(buffer, error);   // error: EAGAIN, truncated, ...
    [[nodiscard]] received_datagram receive_from(std::span<std::byte> buffer, std::error_code& error) noexcept;

    /// Sends the datagrams with as few sendmmsg calls as it takes (up to 64 datagrams a
    /// call); all of them, or throws (the message says how many went). Every size is
    /// checked against `max_payload()` before the first is sent.
    ///
    ///     std::array<wirepack::net::outgoing_datagram, 2> out{{{first, &peer}, {second, &peer}}};
    ///     socket.send_batch(out);
    void send_batch(std::span<const outgoing_datagram> messages);
    /// Non-throwing form: returns how many datagrams were sent before `error` (none when
    /// one is too large).
    std::size_t send_batch(std::span<const outgoing_datagram> messages, std::error_code& error) noexcept;
    /// Receives at least one datagram (waiting as `receive_from` does) and then whatever
    /// else is already queued, with one recvmmsg (MSG_WAITFORONE): up to
    /// `batch.capacity()` slots, and never more than `max_datagrams_per_receive` (1024)
    /// however large the batch; the rest stays queued for the next call. Truncated
    /// datagrams are reported by `batch.truncated(i)`, not thrown. Returns `batch.size()`.
    ///
    ///     for (std::size_t i = 0, n = socket.receive_batch(batch); i < n; ++i) handle(batch.bytes(i));
    std::size_t receive_batch(datagram_batch& batch);

    /// True when `send_segments` will try UDP_SEGMENT (generic segmentation offload): the
    /// socket is open, the kernel takes the option and `udp_options::segmentation_offload`
    /// is on.
    [[nodiscard]] bool segmentation_offload() const noexcept;
    /// Sends `bytes` as datagrams of `segment_size` bytes (the last one may be shorter) to
    /// `to`; nothing for empty `bytes`. With UDP_SEGMENT where the kernel has it, each call
    /// up to 128 segments (64 on older kernels, learnt from the first refusal)
    /// and at most the family's UDP maximum in all; with sendmmsg where
    /// it does not, or where the kernel refuses it for this send (EINVAL or EMSGSIZE for a
    /// segment over the path MTU, EIO for a device that cannot). The receiver sees
    /// ordinary datagrams, in order.
    ///
    ///     socket.send_segments(file_bytes, 1200, peer);   // 1200-byte datagrams, 54 a call
    /// Throws errc::datagram_too_large when `segment_size` is over `max_payload()`,
    /// std::errc::invalid_argument when it is 0.
    void send_segments(std::span<const std::byte> bytes, std::size_t segment_size, const endpoint& to);
    /// UDP_GRO on receive: the kernel may hand several datagrams of one sender over as one
    /// buffer; `receive_batch` and `receive_from` split them again, so callers see each
    /// datagram. `receive_from` keeps the rest of such a buffer and returns it first on
    /// the following calls (so drain the socket until EAGAIN before polling again).
    /// Give `receive_batch` slots of 65,536 bytes: what is past the end of a slot is
    /// reported as truncated. False when the kernel does not have it (nothing changes then).
    bool enable_receive_offload();

    /// Joins `group` (its port is ignored) on `iface`: ip_mreqn with the interface index
    /// or address for IPv4, ipv6_mreq with the index for IPv6 (for `any()`, the group's
    /// scope id when it has one). Throws errc::not_a_multicast_group for a non-multicast
    /// address, std::errc::address_family_not_supported for the other family's group.
    ///
    ///     auto group = wirepack::net::endpoint::resolve("239.1.2.3:0", SOCK_DGRAM).front();
    ///     socket.join_group(group, wirepack::net::multicast_interface::by_name("lo"));
    void join_group(const endpoint& group, multicast_interface iface);
    /// Source-specific membership: only `source`'s datagrams to `group`.
    /// IP_ADD_SOURCE_MEMBERSHIP for an IPv4 interface given by address,
    /// MCAST_JOIN_SOURCE_GROUP otherwise (IPv6 too).
    ///
    ///     socket.join_source_group(group, sender, wirepack::net::multicast_interface::by_name("lo"));
    void join_source_group(const endpoint& group, const endpoint& source, multicast_interface iface);
    /// Ends the membership of `group` on `iface`, source-specific or not.
    ///
    ///     socket.leave_group(group, wirepack::net::multicast_interface::by_name("lo"));
    void leave_group(const endpoint& group, multicast_interface iface);
    /// The interface multicast datagrams leave by (IP_MULTICAST_IF / IPV6_MULTICAST_IF).
    ///
    ///     sender.set_multicast_interface(wirepack::net::multicast_interface::parse("eth0"));
    void set_multicast_interface(multicast_interface iface);
    /// TTL (IPv4) or hop limit (IPv6) of multicast datagrams, 0 to 255; the kernel's
    /// default is 1. Throws std::errc::invalid_argument outside that range.
    ///
    ///     sender.set_multicast_hops(8);   // may cross up to 8 routers
    void set_multicast_hops(int hops);
    /// Whether this host's own receivers get the datagrams sent (IP_MULTICAST_LOOP /
    /// IPV6_MULTICAST_LOOP; on by default). Linux ignores it for datagrams sent through
    /// the loopback interface `lo`, which come back in as received ones either way.
    ///
    ///     sender.set_multicast_loopback(false);   // not to this host's own receivers
    void set_multicast_loopback(bool on);

    /// The largest datagram `send*` accepts.
    [[nodiscard]] std::size_t max_payload() const noexcept { return max_payload_; }
    /// As `stream_socket::set_timeout`: later sends and receives fail with
    /// std::errc::timed_out after `timeout`; nothing = wait forever; zero or negative is
    /// refused (std::errc::invalid_argument).
    ///
    ///     socket.set_timeout(std::chrono::milliseconds(500));
    void set_timeout(std::optional<std::chrono::milliseconds> timeout);
    /// Non-blocking mode: calls that would wait fail with EAGAIN instead.
    ///
    ///     socket.set_nonblocking(true);   // then receive_batch until EAGAIN whenever poll says POLLIN
    void set_nonblocking(bool on);
    [[nodiscard]] endpoint local_endpoint() const;
    [[nodiscard]] int family() const noexcept { return family_; }
    [[nodiscard]] int native_handle() const noexcept { return fd_.get(); }
    [[nodiscard]] bool is_open() const noexcept { return static_cast<bool>(fd_); }
    /// Closes the socket; datagrams `receive_from` held back go with it.
    void close() noexcept {
        fd_.reset();
        held_.reset();
        held_next_ = 0;
        receive_offload_ = false;
        segmentation_allowed_ = false;
    }

private:
    std::size_t receive_into(datagram_batch& batch, std::error_code& error);
    std::size_t take_held(datagram_batch& batch) noexcept;

    file_descriptor fd_;
    int family_ = 0;
    std::size_t max_payload_ = 0;
    bool segmentation_allowed_ = false;  // udp_options::segmentation_offload, and the kernel has it
    bool segmentation_refused_ = false;  // the kernel said ENOPROTOOPT / EOPNOTSUPP once
    std::size_t segments_per_offload_ = 128;  // UDP_MAX_SEGMENTS as far as this socket knows
    bool receive_offload_ = false;       // UDP_GRO is on
    // With UDP_GRO, what receive_from has not handed out yet of a coalesced buffer.
    std::unique_ptr<datagram_batch> held_;
    std::size_t held_next_ = 0;
};

}  // namespace wirepack::net
