// Google Benchmark: frames per second through a stream socket, from a sender (the
// benchmark thread) to a receiver thread, over a Unix socketpair and over TCP loopback.
// Every frame is a 4-byte big-endian length ("!I") and a payload of 16 B, 256 B, 4 KiB or
// 64 KiB. Names are "<transport>/<payload bytes>/<variant>":
//
//   raw_sendmsg   one sendmsg per frame, header and payload as two iovecs
//   raw_writev    a batch of frames as iovec pairs, IOV_MAX iovecs per writev at most
//   raw_copy      a batch of frames copied, headers and all, into one buffer sent at once
//   wp_frame      wirepack::net::send_frame per frame
//   wp_batch      wirepack::frame_batch + wirepack::net::send_frames per batch
//
// A batch holds about 256 KiB of frames (13108 frames of 16 B, 4 of 64 KiB). The raw
// variants are read by a hand-written loop (1 MiB recvs, length prefixes parsed by hand,
// a frame cut by a read kept for the next one); the wp_ variants by
// wirepack::net::frame_reader. The receiver counts the frames and checks each one's
// length and first byte; a run that loses or garbles a frame fails.
//
// One run sends for --seconds_per_run (0.25 s), then shuts the sending side down and
// waits for the receiver to take the last frame: the time is the whole transfer,
// nothing left in flight. Hence Iterations(1) and real time; repeat for a median.
// The sender runs on CPU 0 and the receiver on CPU 1 (--no_pin leaves them to the
// scheduler). Besides frames per second, each run reports:
//
//   tx_user_ns tx_sys_ns rx_user_ns rx_sys_ns   CPU time per frame of the sender and of
//                                               the receiver, in user space and in the kernel
//   others_cores   how many cores other processes kept busy during the run: on a shared
//                  machine, bench/summarize.py --net leaves out the runs they disturbed,
//                  and --wait_for_quiet=S lets runs wait (S seconds in all) for a pause
//
// --diagnostics adds variants that pair a wirepack side with a hand-written one, and a
// frame_reader reading 1 MiB at a time, to tell where a gap comes from.
//
//   cmake --build build --target net_bench
//   build/net_bench --benchmark_filter='unix/16/' --benchmark_repetitions=7
//                   --benchmark_report_aggregates_only=true --benchmark_enable_random_interleaving=true
//
// bench/net_run.sh builds it, runs it and prints the wirepack / raw ratios.

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include <wirepack/frame.hpp>
#include <wirepack/net/frame_stream.hpp>
#include <wirepack/net/stream.hpp>

#include "run_conditions.hpp"

namespace {

namespace net = wirepack::net;
using bench::clock_type;
using bench::cpu_time;
using bench::machine_time;

constexpr std::size_t header_size = 4;
constexpr std::size_t batch_bytes = std::size_t{256} << 10;   // frames per batch: about this many bytes
constexpr std::size_t raw_read_size = std::size_t{1} << 20;   // the hand-written reader's recv size
constexpr std::size_t frames_between_clock_checks = 64;       // for the one-frame-at-a-time senders
constexpr std::byte marker{0xA5};                             // every payload's first byte

bench::run_flags flags;

// ---------------------------------------------------------------------------------------
// Connections

enum class transport { unix_pair, tcp_loopback };

struct connection {
    net::stream_socket sender;
    net::stream_socket receiver;
};

connection connect(transport kind) {
    if (kind == transport::unix_pair) {
        auto [a, b] = net::stream_socket::pair();
        return {std::move(a), std::move(b)};
    }
    auto listener = net::stream_listener::listen_tcp("127.0.0.1:0");
    auto client = net::stream_socket::connect(listener.local_endpoint());
    auto server = listener.accept();
    client.set_no_delay(true);  // as a framing protocol would; the same for every variant
    return {std::move(client), std::move(server)};
}

// ---------------------------------------------------------------------------------------
// What the receiver saw

struct tally {
    std::uint64_t frames = 0;
    std::uint64_t bad = 0;       // frames of the wrong length or with the wrong first byte
    std::uint64_t leftover = 0;  // bytes of a frame cut short by the end of the stream
};

/// Counts one frame of `length` bytes whose payload starts at `payload`.
inline void check(tally& seen, std::size_t length, std::size_t expected, const std::byte* payload) {
    ++seen.frames;
    if (length != expected || (length != 0 && payload[0] != marker)) ++seen.bad;
}

// ---------------------------------------------------------------------------------------
// Hand-written baselines

std::array<std::byte, header_size> big_endian_header(std::size_t length) {
    const std::uint32_t wire = htonl(static_cast<std::uint32_t>(length));
    std::array<std::byte, header_size> out;
    std::memcpy(out.data(), &wire, header_size);
    return out;
}

/// Writes every byte of `iov[0..count)` with sendmsg calls of at most IOV_MAX iovecs,
/// resuming after a partial write. Changes the iovecs it is given.
void raw_send_all(int fd, iovec* iov, std::size_t count) {
    while (count != 0) {
        msghdr message{};
        message.msg_iov = iov;
        message.msg_iovlen = std::min<std::size_t>(count, IOV_MAX);
        const ssize_t sent = ::sendmsg(fd, &message, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::system_category(), "sendmsg");
        }
        auto left = static_cast<std::size_t>(sent);
        while (count != 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            ++iov;
            --count;
        }
        if (left != 0) {
            iov->iov_base = static_cast<std::byte*>(iov->iov_base) + left;
            iov->iov_len -= left;
        }
    }
}

iovec as_iovec(const void* data, std::size_t size) {
    return {const_cast<void*>(data), size};  // iovec wants void*; sendmsg only reads it
}

/// Reads 1 MiB at a time and parses the length prefixes by hand until the end of stream.
tally raw_receive(int fd, std::size_t expected) {
    tally seen;
    const auto buffer = std::make_unique_for_overwrite<std::byte[]>(raw_read_size);
    std::size_t held = 0;  // bytes at the front of buffer: the start of a frame not yet complete
    for (;;) {
        const ssize_t got = ::recv(fd, buffer.get() + held, raw_read_size - held, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::system_category(), "recv");
        }
        if (got == 0) break;
        const std::size_t end = held + static_cast<std::size_t>(got);
        std::size_t at = 0;
        while (end - at >= header_size) {
            std::uint32_t wire;
            std::memcpy(&wire, buffer.get() + at, header_size);
            const std::size_t length = ntohl(wire);
            if (end - at - header_size < length) break;
            check(seen, length, expected, buffer.get() + at + header_size);
            at += header_size + length;
        }
        held = end - at;
        if (held != 0 && at != 0) std::memmove(buffer.get(), buffer.get() + at, held);
    }
    seen.leftover = held;
    return seen;
}

// ---------------------------------------------------------------------------------------
// The senders: each sends `frames` frames of `payload` and returns.

struct workload {
    std::span<const std::byte> payload;
    std::size_t batch_frames;  // frames per batch (batched variants); frames per clock check otherwise
};

/// (a) One sendmsg per frame.
class raw_sendmsg_sender {
public:
    void operator()(net::stream_socket& socket, const workload& work) {
        for (std::size_t i = 0; i < work.batch_frames; ++i) {
            const auto header = big_endian_header(work.payload.size());
            std::array<iovec, 2> iov{as_iovec(header.data(), header.size()),
                                     as_iovec(work.payload.data(), work.payload.size())};
            raw_send_all(socket.native_handle(), iov.data(), iov.size());
        }
    }
};

/// (b) A batch as iovec pairs, IOV_MAX iovecs per call.
class raw_writev_sender {
public:
    void operator()(net::stream_socket& socket, const workload& work) {
        headers_.resize(work.batch_frames);
        iov_.clear();
        for (std::size_t i = 0; i < work.batch_frames; ++i) {
            headers_[i] = big_endian_header(work.payload.size());
            iov_.push_back(as_iovec(headers_[i].data(), header_size));
            iov_.push_back(as_iovec(work.payload.data(), work.payload.size()));
        }
        raw_send_all(socket.native_handle(), iov_.data(), iov_.size());
    }

private:
    std::vector<std::array<std::byte, header_size>> headers_;
    std::vector<iovec> iov_;
};

/// (c) A batch copied into one buffer, sent with one call (more when the kernel takes less).
class raw_copy_sender {
public:
    void operator()(net::stream_socket& socket, const workload& work) {
        const std::size_t frame = header_size + work.payload.size();
        if (!buffer_) buffer_ = std::make_unique_for_overwrite<std::byte[]>(work.batch_frames * frame);
        std::byte* out = buffer_.get();
        for (std::size_t i = 0; i < work.batch_frames; ++i) {
            const auto header = big_endian_header(work.payload.size());
            std::memcpy(out, header.data(), header_size);
            std::memcpy(out + header_size, work.payload.data(), work.payload.size());
            out += frame;
        }
        iovec iov = as_iovec(buffer_.get(), static_cast<std::size_t>(out - buffer_.get()));
        raw_send_all(socket.native_handle(), &iov, 1);
    }

private:
    std::unique_ptr<std::byte[]> buffer_;
};

// ---------------------------------------------------------------------------------------
// wirepack

/// (1) One frame per call.
class wp_frame_sender {
public:
    void operator()(net::stream_socket& socket, const workload& work) {
        for (std::size_t i = 0; i < work.batch_frames; ++i) net::send_frame(socket, work.payload);
    }
};

/// (2) frame_batch + send_frames, the batch kept (with its memory) across batches.
class wp_batch_sender {
public:
    void operator()(net::stream_socket& socket, const workload& work) {
        for (std::size_t i = 0; i < work.batch_frames; ++i) batch_.add(work.payload);
        net::send_frames(socket, batch_);
        batch_.clear();
    }

private:
    wirepack::frame_batch<> batch_;
};

tally wp_receive(net::stream_socket& socket, std::size_t expected,
                 std::size_t read_size = net::frame_reader<>::default_read_size) {
    tally seen;
    net::frame_reader<> reader(socket, {}, read_size);
    while (const auto frame = reader.recv_frame()) {
        check(seen, frame->payload.size(), expected, frame->payload.data());
    }
    return seen;
}

// ---------------------------------------------------------------------------------------
// One benchmark: a connection, a receiver thread, the sender in this thread.

enum class reader_kind { raw, wirepack, wirepack_1mib };

std::size_t frames_per_batch(std::size_t payload_size) {
    const std::size_t frame = header_size + payload_size;
    return std::max<std::size_t>(1, (batch_bytes + frame - 1) / frame);
}

template <class Sender>
void run(benchmark::State& state, transport kind, std::size_t payload_size, reader_kind reader, bool batched) {
    std::vector<std::byte> payload(payload_size, std::byte{0x5A});
    if (!payload.empty()) payload[0] = marker;
    const workload work{payload, batched ? frames_per_batch(payload_size) : frames_between_clock_checks};

    connection link = connect(kind);
    tally seen;
    bench::pin_to_cpu(0, flags.pin_threads);
    bench::receiver_thread receiver(
        flags.pin_threads,
        [&] {
            switch (reader) {
            case reader_kind::raw: seen = raw_receive(link.receiver.native_handle(), payload_size); break;
            case reader_kind::wirepack: seen = wp_receive(link.receiver, payload_size); break;
            case reader_kind::wirepack_1mib: seen = wp_receive(link.receiver, payload_size, raw_read_size); break;
            }
        },
        [&] { ::shutdown(link.receiver.native_handle(), SHUT_RDWR); });  // so the sender fails instead of blocking

    Sender send;
    std::uint64_t sent = 0;
    std::string failure;
    const auto budget = flags.run_length();
    cpu_time sender_spent;
    bench::wait_for_quiet(flags.quiet_budget);
    const auto machine_before = machine_time::now();
    for (auto _ : state) {
        const auto sender_start = cpu_time::of_this_thread();
        const auto deadline = clock_type::now() + budget;
        try {
            do {
                send(link.sender, work);
                sent += work.batch_frames;
            } while (clock_type::now() < deadline);
            link.sender.shutdown_send();
        } catch (const std::exception& e) {
            failure = std::string("sender: ") + e.what();
            ::shutdown(link.sender.native_handle(), SHUT_RDWR);
        }
        sender_spent = cpu_time::of_this_thread() - sender_start;
        receiver.join();  // timed: the run ends when the last frame is in
    }
    const double others = machine_time::now().others_since(machine_before);

    if (const std::string why = receiver.failure(); !why.empty()) failure = "receiver: " + why;
    if (failure.empty() && (seen.frames != sent || seen.bad != 0 || seen.leftover != 0)) {
        failure = "sent " + std::to_string(sent) + " frames, received " + std::to_string(seen.frames) + " (" +
                  std::to_string(seen.bad) + " wrong, " + std::to_string(seen.leftover) + " bytes left over)";
    }
    if (!failure.empty()) {
        state.SkipWithError(failure.c_str());
        return;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(sent));
    state.SetBytesProcessed(static_cast<std::int64_t>(sent * (header_size + payload_size)));
    // CPU nanoseconds per frame, user and kernel, of each side: which side limits the rate.
    const double per_frame = 1e9 / static_cast<double>(sent);
    state.counters["frames"] = static_cast<double>(sent);
    state.counters["tx_user_ns"] = sender_spent.user * per_frame;
    state.counters["tx_sys_ns"] = sender_spent.system * per_frame;
    state.counters["rx_user_ns"] = receiver.spent().user * per_frame;
    state.counters["rx_sys_ns"] = receiver.spent().system * per_frame;
    state.counters["others_cores"] = others;  // other processes' CPU use meanwhile, in cores
}

struct variant {
    const char* name;
    void (*run)(benchmark::State&, transport, std::size_t, reader_kind, bool);
    reader_kind reader;
    bool batched;
    bool diagnostic;  // only with --diagnostics: which side of the pipe costs what
};

constexpr std::array variants{
    variant{"raw_sendmsg", run<raw_sendmsg_sender>, reader_kind::raw, false, false},
    variant{"raw_writev", run<raw_writev_sender>, reader_kind::raw, true, false},
    variant{"raw_copy", run<raw_copy_sender>, reader_kind::raw, true, false},
    variant{"wp_frame", run<wp_frame_sender>, reader_kind::wirepack, false, false},
    variant{"wp_batch", run<wp_batch_sender>, reader_kind::wirepack, true, false},
    // wirepack on one side, the hand-written loop on the other
    variant{"wp_batch_raw_reader", run<wp_batch_sender>, reader_kind::raw, true, true},
    variant{"raw_copy_wp_reader", run<raw_copy_sender>, reader_kind::wirepack, true, true},
    variant{"wp_frame_raw_reader", run<wp_frame_sender>, reader_kind::raw, false, true},
    variant{"raw_sendmsg_wp_reader", run<raw_sendmsg_sender>, reader_kind::wirepack, false, true},
    // the frame_reader asking for 1 MiB per recv, as the hand-written reader does
    variant{"wp_batch_1mib_reads", run<wp_batch_sender>, reader_kind::wirepack_1mib, true, true},
    variant{"wp_frame_1mib_reads", run<wp_frame_sender>, reader_kind::wirepack_1mib, false, true},
};

void register_all(bool diagnostics) {
    const std::array<std::pair<const char*, transport>, 2> transports{
        {{"unix", transport::unix_pair}, {"tcp", transport::tcp_loopback}}};
    const std::array<std::size_t, 4> sizes{16, 256, 4096, 65536};
    for (const auto& [transport_name, kind] : transports) {
        for (const std::size_t size : sizes) {
            for (const variant& v : variants) {
                if (v.diagnostic && !diagnostics) continue;
                const std::string name = std::string(transport_name) + "/" + std::to_string(size) + "/" + v.name;
                benchmark::RegisterBenchmark(name.c_str(),
                                             [v, kind = kind, size](benchmark::State& state) {
                                                 v.run(state, kind, size, v.reader, v.batched);
                                             })
                    ->Iterations(1)
                    ->UseRealTime()
                    ->Unit(benchmark::kMillisecond);
            }
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    int kept = 1;
    for (int i = 1; i < argc; ++i) {
        if (!flags.take(argv[i])) argv[kept++] = argv[i];
    }
    argc = kept;
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    register_all(flags.diagnostics);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
