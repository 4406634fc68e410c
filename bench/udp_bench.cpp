// Google Benchmark: UDP datagrams received per second over loopback (127.0.0.1), from a
// sender (the benchmark thread) to a receiver thread, with nothing lost. Datagrams of 64 B
// and 1,400 B; names are "<payload bytes>/<variant>":
//
//   raw_sendto    sendto per datagram              -> recvfrom per datagram
//   raw_mmsg      sendmmsg, 64 datagrams a call     -> recvmmsg, 64 slots, MSG_WAITFORONE
//   raw_gso       sendmsg with UDP_SEGMENT          -> recvmmsg (the kernel splits on arrival)
//   raw_gso_gro   sendmsg with UDP_SEGMENT          -> recvmmsg with UDP_GRO, split by hand
//   wp_message    udp_socket::send_to               -> udp_socket::receive_from
//   wp_batch      udp_socket::send_batch (64)       -> udp_socket::receive_batch
//   wp_segments   udp_socket::send_segments         -> receive_batch after enable_receive_offload
//
// The twins are raw_sendto / wp_message, raw_mmsg / wp_batch and raw_gso_gro / wp_segments.
// A UDP_SEGMENT send carries as many datagrams as fit the 65,507-byte IPv4 maximum, at
// most --segments (128, what newer kernels take and wirepack sends there; older ones 64): 128 of
// 64 B, 46 of 1,400 B; the other senders go 64 at a time. On an older kernel, pass
// --segments=64: the hand-written UDP_SEGMENT senders fail with EINVAL otherwise
// (wirepack's send_segments learns the limit by itself).
//
// Nothing lost, and nothing counted that was: every datagram carries its sequence number
// (8 bytes at the front, native order) and ends with a marker byte; the receiver checks
// each one's size, marker and number, and a run with a gap, a duplicate or a datagram out
// of order fails (SkipWithError, with the kernel's drop count for the socket) instead of
// reporting a rate. Loopback drops a datagram when the receiving socket's buffer is full,
// so the sender is bounded by the receiver's count: it never has more than a window of
// datagrams sent and not yet received, waiting (spinning on its own core) for the
// receiver to catch up. The receiver asks for a SO_RCVBUF of --rcvbuf bytes (4 MiB;
// SO_RCVBUFFORCE as root, so beyond net.core.rmem_max); the window is what the kernel
// granted / 4 KiB, between two UDP_SEGMENT sends and 1,024 datagrams (the counter "window"): a datagram of
// 1,400 B takes about 2.3 KiB of it. --window=N sets it: --window=100000 shows the
// failure report.
//
// One run sends for --seconds_per_run (0.25 s), then one end-of-run datagram, and waits
// for the receiver to take it: the time is the whole transfer, nothing left in flight.
// Hence Iterations(1) and real time. --runs=N registers every variant N times, each round
// shuffled, for a median (bench/summarize.py --udp takes it over every run); not
// --benchmark_repetitions, since Google Benchmark 1.7 crashes computing the aggregates
// of a benchmark one of whose repetitions failed (google/benchmark#1406), and a lossy
// run is one that fails. The sender runs on CPU 0 and the receiver on CPU 1 (--no_pin
// leaves them to the scheduler). Besides datagrams per second (items_per_second), each
// run reports:
//
//   tx_user_ns tx_sys_ns rx_user_ns rx_sys_ns   CPU time per datagram of the sender and
//                 the receiver. Loopback delivers in the sender's system call, so the
//                 kernel's receive path (IP, UDP, queueing) is in tx_sys_ns. Each sum is
//                 exact; the split between user and system is only as good as the
//                 kernel's tick sampling.
//   tx_wait_ns    of that, the CPU time the sender spun on the window: > 0 means the
//                 receiver set the pace at times. tx_user_ns + tx_sys_ns - tx_wait_ns is
//                 the sender's work, which other processes on the machine barely change.
//   rx_per_call   datagrams per receive call
//   gso gro       1 when UDP_SEGMENT / UDP_GRO were in use (wirepack: as it reports)
//   others_cores  how many cores other processes kept busy during the run: on a shared
//                 machine, bench/summarize.py --udp leaves out the runs they disturbed,
//                 and --wait_for_quiet=S lets runs wait (S seconds in all) for a pause
//
// --diagnostics adds variants that pair a wirepack side with a hand-written one,
// send_segments without UDP_GRO on the receiver (twin: raw_gso), and raw_gso64_gro (64
// segments a send, all that older kernels take; 64 B only), to tell where a gap
// comes from.
//
//   cmake --build build --target udp_bench
//   build/udp_bench --benchmark_filter='^64/' --runs=9 --benchmark_out=udp.json --benchmark_out_format=json
//   python3 bench/summarize.py --udp .      (reads ./udp.json)
//
// bench/udp_run.sh builds it, runs it and prints the ratios against the targets.

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include <wirepack/datagram.hpp>
#include <wirepack/net/udp.hpp>

#include "run_conditions.hpp"

namespace {

namespace net = wirepack::net;
using bench::clock_type;
using bench::cpu_time;
using bench::machine_time;

constexpr std::size_t datagrams_per_call = 64;    // sendmmsg / send_batch; recvmmsg slots
std::size_t max_segments = 128;                   // per UDP_SEGMENT send (--segments)
constexpr std::size_t slot_size = 2048;           // recvmmsg slot: any datagram measured fits
constexpr std::size_t coalesced_slots = 16;       // recvmmsg slots with UDP_GRO ...
constexpr std::size_t coalesced_slot_size = 65536;  // ... each room for a whole coalesced buffer
constexpr std::byte marker{0xA5};                 // every datagram's last byte
constexpr std::uint64_t end_of_run = std::uint64_t{1} << 63;  // in the sequence number: the last one
constexpr auto stall_limit = std::chrono::seconds(2);  // no progress this long: something was lost

bench::run_flags flags;
std::uint64_t window_flag = 0;  // --window; 0: from the receive buffer granted
int receive_buffer = 4 << 20;

/// Datagrams the sender may have in flight, for a receive buffer of `granted` bytes.
std::uint64_t window_for(int granted) {
    if (window_flag != 0) return window_flag;
    return std::clamp<std::uint64_t>(static_cast<std::uint64_t>(granted) / 4096, 2 * max_segments, 1024);
}

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

[[noreturn]] void throw_errno(const char* call) { throw std::system_error(errno, std::system_category(), call); }

/// The kernel's count of datagrams dropped on arrival at the UDP socket bound to `port`
/// (the last column of /proc/net/udp); nothing found: 0.
unsigned long long kernel_drops(std::uint16_t port) {
    std::FILE* table = std::fopen("/proc/net/udp", "r");
    if (table == nullptr) return 0;
    unsigned long long drops = 0;
    char line[512];
    while (std::fgets(line, sizeof line, table) != nullptr) {
        // sl local remote st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
        unsigned local_port = 0;
        unsigned long long dropped = 0;
        if (std::sscanf(line, "%*s %*x:%x %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu", &local_port, &dropped) == 2 &&
            local_port == port) {
            drops = dropped;
        }
    }
    std::fclose(table);
    return drops;
}

// ---------------------------------------------------------------------------------------
// What the sender and the receiver share, and what the receiver checks

/// The receiver's count, which bounds the sender; on a cache line of its own.
struct alignas(64) progress {
    std::atomic<std::uint64_t> received{0};
    std::atomic<bool> failed{false};
};

/// The receiver's side: the next sequence number it expects, and what went wrong.
class checker {
public:
    checker(std::size_t size, progress& shared) : size_(size), shared_(shared) {}

    /// Checks one datagram; false when the run is over (the end-of-run datagram, or a failure).
    bool take(std::span<const std::byte> datagram) {
        if (datagram.size() != size_ || datagram.back() != marker) {
            return fail("datagram " + std::to_string(next_) + " has " + std::to_string(datagram.size()) +
                        " bytes or a wrong last byte (expected " + std::to_string(size_) + ")");
        }
        std::uint64_t sequence;
        std::memcpy(&sequence, datagram.data(), sizeof sequence);
        if ((sequence & ~end_of_run) != next_) {
            const auto got = sequence & ~end_of_run;
            return fail(got > next_ ? "lost datagrams " + std::to_string(next_) + " to " + std::to_string(got - 1)
                                    : "datagram " + std::to_string(got) + " again or out of order (expected " +
                                          std::to_string(next_) + ")");
        }
        if ((sequence & end_of_run) != 0) {
            ended_ = true;
            return false;
        }
        ++next_;
        return true;
    }

    /// After each receive call: lets the sender go on.
    void publish() noexcept {
        ++calls_;
        shared_.received.store(next_, std::memory_order_release);
    }

    bool fail(std::string why) {
        if (failure_.empty()) failure_ = std::move(why);
        shared_.failed.store(true, std::memory_order_relaxed);
        return false;
    }

    [[nodiscard]] bool running() const noexcept { return !ended_ && failure_.empty(); }
    [[nodiscard]] bool ended() const noexcept { return ended_; }
    [[nodiscard]] std::uint64_t received() const noexcept { return next_; }
    [[nodiscard]] std::uint64_t calls() const noexcept { return calls_; }
    [[nodiscard]] const std::string& failure() const noexcept { return failure_; }

private:
    std::size_t size_;
    progress& shared_;
    std::uint64_t next_ = 0;
    std::uint64_t calls_ = 0;
    bool ended_ = false;
    std::string failure_;
};

// ---------------------------------------------------------------------------------------
// Receivers: each takes datagrams until the checker says the run is over.

/// recvfrom per datagram.
void raw_recvfrom(net::udp_socket& socket, checker& check) {
    std::array<std::byte, slot_size> buffer;
    sockaddr_storage from;
    while (check.running()) {
        socklen_t from_size = sizeof from;
        const ssize_t got = ::recvfrom(socket.native_handle(), buffer.data(), buffer.size(), 0,
                                       reinterpret_cast<sockaddr*>(&from), &from_size);
        if (got < 0) {
            if (errno == EINTR) continue;
            throw_errno("recvfrom");
        }
        check.take({buffer.data(), static_cast<std::size_t>(got)});
        check.publish();
    }
}

/// recvmmsg into `slots` slots of `size` bytes, MSG_WAITFORONE; with `coalesced`, UDP_GRO
/// on and each slot split at the segment size the kernel reports.
void raw_recvmmsg(net::udp_socket& socket, checker& check, std::size_t slots, std::size_t size, bool coalesced) {
    constexpr std::size_t control_size = CMSG_SPACE(sizeof(int));
    const int fd = socket.native_handle();
    if (coalesced) {
        const int on = 1;
        if (::setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof on) != 0) coalesced = false;
    }
    const auto storage = std::make_unique_for_overwrite<std::byte[]>(slots * size);
    std::vector<mmsghdr> headers(slots);
    std::vector<iovec> vectors(slots);
    std::vector<sockaddr_storage> senders(slots);
    std::vector<std::array<std::uint64_t, (control_size + 7) / 8>> controls(slots);
    for (std::size_t i = 0; i < slots; ++i) {
        vectors[i] = {storage.get() + i * size, size};
        headers[i].msg_hdr.msg_iov = &vectors[i];
        headers[i].msg_hdr.msg_iovlen = 1;
        headers[i].msg_hdr.msg_name = &senders[i];
    }
    while (check.running()) {
        for (std::size_t i = 0; i < slots; ++i) {  // in-out fields
            headers[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
            if (coalesced) {
                headers[i].msg_hdr.msg_control = controls[i].data();
                headers[i].msg_hdr.msg_controllen = control_size;
            }
        }
        const int got = ::recvmmsg(fd, headers.data(), static_cast<unsigned>(slots), MSG_WAITFORONE, nullptr);
        if (got < 0) {
            if (errno == EINTR) continue;
            throw_errno("recvmmsg");
        }
        for (std::size_t i = 0; i < static_cast<std::size_t>(got) && check.running(); ++i) {
            const std::span<const std::byte> slot(storage.get() + i * size, headers[i].msg_len);
            std::size_t segment = slot.size();
            if (coalesced) {
                msghdr& header = headers[i].msg_hdr;
                for (cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr; c = CMSG_NXTHDR(&header, c)) {
                    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
                        int value;
                        std::memcpy(&value, CMSG_DATA(c), sizeof value);
                        if (value > 0) segment = static_cast<std::size_t>(value);
                    }
                }
            }
            for (std::size_t at = 0; at < slot.size() && check.running(); at += segment) {
                check.take(slot.subspan(at, std::min(segment, slot.size() - at)));
            }
        }
        check.publish();
    }
}

/// udp_socket::receive_from per datagram.
void wp_receive_from(net::udp_socket& socket, checker& check) {
    std::array<std::byte, slot_size> buffer;
    while (check.running()) {
        check.take(socket.receive_from(buffer).bytes);
        check.publish();
    }
}

/// udp_socket::receive_batch, after enable_receive_offload with `coalesced`.
void wp_receive_batch(net::udp_socket& socket, checker& check, bool coalesced) {
    if (coalesced) coalesced = socket.enable_receive_offload();
    net::datagram_batch batch(coalesced ? coalesced_slots : datagrams_per_call,
                              coalesced ? coalesced_slot_size : slot_size);
    while (check.running()) {
        const std::size_t got = socket.receive_batch(batch);
        for (std::size_t i = 0; i < got && check.running(); ++i) {
            if (batch.truncated(i)) {
                check.fail("datagram " + std::to_string(check.received()) + " truncated");
                break;
            }
            check.take(batch.bytes(i));
        }
        check.publish();
    }
}

enum class receiver_kind { raw_recvfrom, raw_recvmmsg, raw_recvmmsg_gro, wp_receive_from, wp_receive_batch,
                           wp_receive_batch_gro };

bool uses_gro(receiver_kind kind) {
    return kind == receiver_kind::raw_recvmmsg_gro || kind == receiver_kind::wp_receive_batch_gro;
}

void receive(receiver_kind kind, net::udp_socket& socket, checker& check) {
    switch (kind) {
    case receiver_kind::raw_recvfrom: raw_recvfrom(socket, check); break;
    case receiver_kind::raw_recvmmsg: raw_recvmmsg(socket, check, datagrams_per_call, slot_size, false); break;
    case receiver_kind::raw_recvmmsg_gro:
        raw_recvmmsg(socket, check, coalesced_slots, coalesced_slot_size, true);
        break;
    case receiver_kind::wp_receive_from: wp_receive_from(socket, check); break;
    case receiver_kind::wp_receive_batch: wp_receive_batch(socket, check, false); break;
    case receiver_kind::wp_receive_batch_gro: wp_receive_batch(socket, check, true); break;
    }
}

// ---------------------------------------------------------------------------------------
// Senders: each sends the datagrams of a block, which are back to back in memory (as
// UDP_SEGMENT wants them) and already carry their sequence numbers.

class datagram_block {
public:
    datagram_block(std::size_t count, std::size_t size)
        : count_(count), size_(size), bytes_(count * size, std::byte{0x5A}) {
        for (std::size_t i = 0; i < count; ++i) bytes_[i * size + size - 1] = marker;
    }

    /// Numbers the datagrams `first`, `first + 1`, ...
    void stamp(std::uint64_t first) noexcept {
        for (std::size_t i = 0; i < count_; ++i, ++first) std::memcpy(bytes_.data() + i * size_, &first, sizeof first);
    }

    [[nodiscard]] std::size_t count() const noexcept { return count_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] std::span<const std::byte> all() const noexcept { return bytes_; }
    [[nodiscard]] std::span<const std::byte> datagram(std::size_t i) const noexcept {
        return {bytes_.data() + i * size_, size_};
    }

private:
    std::size_t count_;
    std::size_t size_;
    std::vector<std::byte> bytes_;
};

iovec as_iovec(std::span<const std::byte> bytes) {
    return {const_cast<std::byte*>(bytes.data()), bytes.size()};  // iovec wants void*; sending only reads
}

/// sendto per datagram.
class raw_sendto_sender {
public:
    void operator()(net::udp_socket& socket, const net::endpoint& to, const datagram_block& block) {
        for (std::size_t i = 0; i < block.count(); ++i) {
            const auto bytes = block.datagram(i);
            while (::sendto(socket.native_handle(), bytes.data(), bytes.size(), 0, to.data(), to.size()) < 0) {
                if (errno != EINTR) throw_errno("sendto");
            }
        }
    }
};

/// sendmmsg of the whole block, its headers built once (only the block's bytes change).
class raw_sendmmsg_sender {
public:
    void operator()(net::udp_socket& socket, const net::endpoint& to, const datagram_block& block) {
        if (headers_.empty()) {
            headers_.resize(block.count());
            vectors_.resize(block.count());
            for (std::size_t i = 0; i < block.count(); ++i) {
                vectors_[i] = as_iovec(block.datagram(i));
                headers_[i].msg_hdr.msg_iov = &vectors_[i];
                headers_[i].msg_hdr.msg_iovlen = 1;
                headers_[i].msg_hdr.msg_name = const_cast<sockaddr*>(to.data());
                headers_[i].msg_hdr.msg_namelen = to.size();
            }
        }
        std::size_t sent = 0;
        while (sent < headers_.size()) {
            const int done = ::sendmmsg(socket.native_handle(), headers_.data() + sent,
                                        static_cast<unsigned>(headers_.size() - sent), 0);
            if (done < 0) {
                if (errno == EINTR) continue;
                throw_errno("sendmmsg");
            }
            sent += static_cast<std::size_t>(done);
        }
    }

private:
    std::vector<mmsghdr> headers_;
    std::vector<iovec> vectors_;
};

/// One sendmsg of the whole block with UDP_SEGMENT (the block fits one send).
class raw_gso_sender {
public:
    void operator()(net::udp_socket& socket, const net::endpoint& to, const datagram_block& block) {
        iovec vector = as_iovec(block.all());
        msghdr header{};
        header.msg_name = const_cast<sockaddr*>(to.data());
        header.msg_namelen = to.size();
        header.msg_iov = &vector;
        header.msg_iovlen = 1;
        header.msg_control = control_.data();
        header.msg_controllen = control_.size();
        cmsghdr* c = CMSG_FIRSTHDR(&header);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
        const auto segment = static_cast<std::uint16_t>(block.size());
        std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
        while (::sendmsg(socket.native_handle(), &header, 0) < 0) {
            if (errno != EINTR) throw_errno("sendmsg (UDP_SEGMENT)");
        }
    }

private:
    alignas(cmsghdr) std::array<unsigned char, CMSG_SPACE(sizeof(std::uint16_t))> control_{};
};

/// udp_socket::send_to per datagram.
class wp_send_to_sender {
public:
    void operator()(net::udp_socket& socket, const net::endpoint& to, const datagram_block& block) {
        for (std::size_t i = 0; i < block.count(); ++i) socket.send_to(block.datagram(i), to);
    }
};

/// udp_socket::send_batch of the whole block, its list built once.
class wp_send_batch_sender {
public:
    void operator()(net::udp_socket& socket, const net::endpoint& to, const datagram_block& block) {
        if (out_.empty()) {
            for (std::size_t i = 0; i < block.count(); ++i) out_.push_back({block.datagram(i), &to});
        }
        socket.send_batch(out_);
    }

private:
    std::vector<net::outgoing_datagram> out_;
};

/// udp_socket::send_segments of the whole block.
class wp_send_segments_sender {
public:
    void operator()(net::udp_socket& socket, const net::endpoint& to, const datagram_block& block) {
        socket.send_segments(block.all(), block.size(), to);
    }
};

enum class sender_kind { per_message, many, segments, segments_64 };

/// Datagrams per block: what one UDP_SEGMENT send takes (--segments, or 64 as older
/// kernels take), else 64.
std::size_t block_count(sender_kind kind, std::size_t size) {
    switch (kind) {
    case sender_kind::segments: return std::min(max_segments, wirepack::max_udp_payload_ipv4 / size);
    case sender_kind::segments_64: return std::min<std::size_t>(64, wirepack::max_udp_payload_ipv4 / size);
    default: return datagrams_per_call;
    }
}

// ---------------------------------------------------------------------------------------
// One benchmark: two sockets, a receiver thread, the sender in this thread.

/// Makes the socket's receive buffer `bytes` large (beyond net.core.rmem_max when allowed);
/// returns what the kernel granted (which counts its bookkeeping: twice what was asked).
int grow_receive_buffer(net::udp_socket& socket, int bytes) {
    const int fd = socket.native_handle();
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    }
    int granted = 0;
    socklen_t length = sizeof granted;
    ::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &length);
    return granted;
}

/// The sender's side of the window.
class window_gate {
public:
    window_gate(progress& shared, std::uint64_t window) : shared_(shared), window_(window) {}

    /// Returns when `count` more datagrams may go after `sent`; throws when the receiver
    /// failed or has stopped taking datagrams.
    void wait_for_room(std::uint64_t sent, std::uint64_t count) {
        if (sent + count - acknowledged_ <= window_) return;
        acknowledged_ = shared_.received.load(std::memory_order_acquire);
        if (sent + count - acknowledged_ <= window_) return;
        // Waiting: the two clock reads cost nothing the receiver would notice.
        const double cpu_start = thread_cpu_seconds();
        auto last_progress = clock_type::now();
        for (unsigned spins = 0;; ++spins) {
            const auto now_received = shared_.received.load(std::memory_order_acquire);
            if (now_received != acknowledged_) {
                acknowledged_ = now_received;
                if (sent + count - acknowledged_ <= window_) break;
                last_progress = clock_type::now();
            }
            if (shared_.failed.load(std::memory_order_relaxed)) throw std::runtime_error("the receiver stopped");
            if (spins % 1024 == 0 && clock_type::now() - last_progress > stall_limit) {
                throw std::runtime_error(std::to_string(sent - acknowledged_) +
                                         " datagrams sent and not received for 2 s");
            }
            cpu_relax();
        }
        spun_ += thread_cpu_seconds() - cpu_start;
    }

    /// CPU seconds spent spinning (not the time preempted meanwhile).
    [[nodiscard]] double spun_seconds() const noexcept { return spun_; }

private:
    progress& shared_;
    std::uint64_t window_;
    std::uint64_t acknowledged_ = 0;  // the receiver's count when last read
    double spun_ = 0;

    static double thread_cpu_seconds() noexcept {
        timespec now{};
        ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
        return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
    }
};

template <class Sender>
void run(benchmark::State& state, std::size_t size, sender_kind kind, receiver_kind reader) {
    if (size < sizeof(std::uint64_t) + 1 || size > slot_size) {
        state.SkipWithError("datagram size out of the measured range");
        return;
    }
    bench::wait_for_quiet(flags.quiet_budget);  // first: the receiver's timeout must not run out while this waits
    auto receiver_socket = net::udp_socket::bind_udp("127.0.0.1:0");
    auto sender_socket = net::udp_socket::bind_udp("127.0.0.1:0");
    const int granted = grow_receive_buffer(receiver_socket, receive_buffer);
    receiver_socket.set_timeout(stall_limit);  // a receiver waiting for a lost datagram gives up
    const net::endpoint to = receiver_socket.local_endpoint();
    const auto port = ntohs(reinterpret_cast<const sockaddr_in*>(to.data())->sin_port);
    const auto drops_before = kernel_drops(port);

    datagram_block block(block_count(kind, size), size);
    progress shared;
    checker check(size, shared);
    bench::pin_to_cpu(0, flags.pin_threads);
    bench::receiver_thread receiver(
        flags.pin_threads, [&] { receive(reader, receiver_socket, check); },
        [&] { shared.failed.store(true, std::memory_order_relaxed); });

    Sender send;
    const std::uint64_t window = window_for(granted);
    window_gate gate(shared, window);
    std::uint64_t sent = 0;
    std::string failure;
    const auto budget = flags.run_length();
    cpu_time sender_spent;
    const auto machine_before = machine_time::now();
    for (auto _ : state) {
        const auto sender_start = cpu_time::of_this_thread();
        const auto deadline = clock_type::now() + budget;
        try {
            do {
                gate.wait_for_room(sent, block.count());
                block.stamp(sent);
                send(sender_socket, to, block);
                sent += block.count();
            } while (clock_type::now() < deadline && !shared.failed.load(std::memory_order_relaxed));
            gate.wait_for_room(sent, 1);
            std::array<std::byte, slot_size> last{};
            const std::uint64_t sequence = sent | end_of_run;
            std::memcpy(last.data(), &sequence, sizeof sequence);
            last[size - 1] = marker;
            sender_socket.send_to(std::span(last).first(size), to);
        } catch (const std::exception& e) {
            failure = std::string("sender: ") + e.what();
        }
        sender_spent = cpu_time::of_this_thread() - sender_start;
        receiver.join();  // timed: the run ends when the last datagram is in
    }
    const double others = machine_time::now().others_since(machine_before);

    if (const std::string why = receiver.failure(); !why.empty()) failure = "receiver: " + why;
    if (!check.failure().empty()) failure = "receiver: " + check.failure();
    if (failure.empty() && (!check.ended() || check.received() != sent)) {
        failure = "the run ended with " + std::to_string(check.received()) + " datagrams received";
    }
    if (!failure.empty()) {
        failure = "LOST or failed (not counted): " + failure + "; sent " + std::to_string(sent) + ", kernel drops " +
                  std::to_string(kernel_drops(port) - drops_before) + ", SO_RCVBUF " + std::to_string(granted);
        state.SkipWithError(failure.c_str());
        return;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(sent));
    state.SetBytesProcessed(static_cast<std::int64_t>(sent * size));
    const double per_datagram = 1e9 / static_cast<double>(sent);
    state.counters["datagrams"] = static_cast<double>(sent);
    state.counters["tx_user_ns"] = sender_spent.user * per_datagram;
    state.counters["tx_sys_ns"] = sender_spent.system * per_datagram;
    state.counters["tx_wait_ns"] = gate.spun_seconds() * per_datagram;
    state.counters["rx_user_ns"] = receiver.spent().user * per_datagram;
    state.counters["rx_sys_ns"] = receiver.spent().system * per_datagram;
    state.counters["window"] = static_cast<double>(window);
    const auto receive_calls = std::max<std::uint64_t>(1, check.calls());
    state.counters["rx_per_call"] = static_cast<double>(sent) / static_cast<double>(receive_calls);
    if (kind == sender_kind::segments || kind == sender_kind::segments_64) {
        // wirepack's own answer; the raw sender would have failed without UDP_SEGMENT.
        state.counters["gso"] = sender_socket.segmentation_offload() ? 1 : 0;
    }
    if (uses_gro(reader)) {
        int on = 0;
        socklen_t length = sizeof on;
        ::getsockopt(receiver_socket.native_handle(), SOL_UDP, UDP_GRO, &on, &length);
        state.counters["gro"] = on != 0 ? 1 : 0;
    }
    state.counters["others_cores"] = others;  // other processes' CPU use meanwhile, in cores
}

struct variant {
    const char* name;
    void (*run)(benchmark::State&, std::size_t, sender_kind, receiver_kind);
    sender_kind sender;
    receiver_kind reader;
    bool diagnostic;  // only with --diagnostics: which side costs what
};

constexpr std::array variants{
    variant{"raw_sendto", run<raw_sendto_sender>, sender_kind::per_message, receiver_kind::raw_recvfrom, false},
    variant{"raw_mmsg", run<raw_sendmmsg_sender>, sender_kind::many, receiver_kind::raw_recvmmsg, false},
    variant{"raw_gso", run<raw_gso_sender>, sender_kind::segments, receiver_kind::raw_recvmmsg, false},
    variant{"raw_gso_gro", run<raw_gso_sender>, sender_kind::segments, receiver_kind::raw_recvmmsg_gro, false},
    variant{"wp_message", run<wp_send_to_sender>, sender_kind::per_message, receiver_kind::wp_receive_from, false},
    variant{"wp_batch", run<wp_send_batch_sender>, sender_kind::many, receiver_kind::wp_receive_batch, false},
    variant{"wp_segments", run<wp_send_segments_sender>, sender_kind::segments, receiver_kind::wp_receive_batch_gro,
            false},
    // send_segments to a receiver without UDP_GRO: the twin of raw_gso
    variant{"wp_segments_nogro", run<wp_send_segments_sender>, sender_kind::segments, receiver_kind::wp_receive_batch,
            true},
    // wirepack on one side, the hand-written loop on the other
    variant{"wp_send_to_raw_reader", run<wp_send_to_sender>, sender_kind::per_message, receiver_kind::raw_recvfrom,
            true},
    variant{"raw_sendto_wp_reader", run<raw_sendto_sender>, sender_kind::per_message, receiver_kind::wp_receive_from,
            true},
    variant{"wp_send_batch_raw_reader", run<wp_send_batch_sender>, sender_kind::many, receiver_kind::raw_recvmmsg,
            true},
    variant{"raw_mmsg_wp_reader", run<raw_sendmmsg_sender>, sender_kind::many, receiver_kind::wp_receive_batch, true},
    variant{"wp_send_segments_raw_reader", run<wp_send_segments_sender>, sender_kind::segments,
            receiver_kind::raw_recvmmsg_gro, true},
    variant{"raw_gso_wp_reader", run<raw_gso_sender>, sender_kind::segments, receiver_kind::wp_receive_batch_gro, true},
    // 64 segments a send where more fit (64 B): what the larger sends of newer kernels gain
    variant{"raw_gso64_gro", run<raw_gso_sender>, sender_kind::segments_64, receiver_kind::raw_recvmmsg_gro, true},
};

/// Registers every variant `runs` times, each round in a shuffled order (the first in
/// order when there is only one), so that slow drifts of the machine spread over all.
void register_all(bool diagnostics, int runs) {
    const std::array<std::size_t, 2> sizes{64, 1400};
    std::vector<std::pair<std::size_t, const variant*>> round;
    for (const std::size_t size : sizes) {
        for (const variant& v : variants) {
            if (v.diagnostic && !diagnostics) continue;
            const bool same_as_segments = v.sender == sender_kind::segments_64 &&
                                          block_count(v.sender, size) == block_count(sender_kind::segments, size);
            if (!same_as_segments) round.emplace_back(size, &v);
        }
    }
    std::mt19937 shuffle(12345);
    for (int r = 0; r < runs; ++r) {
        if (runs > 1) std::shuffle(round.begin(), round.end(), shuffle);
        for (const auto& [size, v] : round) {
            const std::string name = std::to_string(size) + "/" + v->name;
            benchmark::RegisterBenchmark(name.c_str(),
                                         [v = v, size = size](benchmark::State& state) {
                                             v->run(state, size, v->sender, v->reader);
                                         })
                ->Iterations(1)
                ->UseRealTime()
                ->Unit(benchmark::kMillisecond);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (std::string_view(argv[i]).starts_with("--benchmark_repetitions")) {
            std::fprintf(stderr, "udp_bench: use --runs=N: with --benchmark_repetitions, Google Benchmark 1.7 "
                                 "crashes computing the aggregates once a run failed (google/benchmark#1406)\n");
            return 2;
        }
    }
    benchmark::Initialize(&argc, argv);
    int runs = 1;
    int kept = 1;
    constexpr auto value_of = bench::run_flags::flag_value;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (flags.take(arg)) {
            continue;
        } else if (arg.starts_with("--window=")) {
            const auto asked = std::strtoull(value_of(arg, "--window="), nullptr, 10);
            window_flag = std::max<std::uint64_t>(2 * max_segments, asked);
        } else if (arg.starts_with("--rcvbuf=")) {
            receive_buffer = static_cast<int>(std::strtol(value_of(arg, "--rcvbuf="), nullptr, 10));
        } else if (arg.starts_with("--segments=")) {
            max_segments = std::clamp<std::size_t>(std::strtoul(value_of(arg, "--segments="), nullptr, 10), 1, 128);
        } else if (arg.starts_with("--runs=")) {
            runs = std::max(1, std::atoi(value_of(arg, "--runs=")));
        } else {
            argv[kept++] = argv[i];
        }
    }
    argc = kept;
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    register_all(flags.diagnostics, runs);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
