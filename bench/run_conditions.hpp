// What the socket benchmarks (net_bench.cpp, udp_bench.cpp) share. Each run has a
// sender and a receiver thread, each pinned to a core of its own; these measure the CPU
// time each thread spent, how busy other processes kept the cores meanwhile (the
// machine is shared), and start a run when those pause.
#pragma once

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace bench {

using clock_type = std::chrono::steady_clock;

/// Keeps the calling thread on CPU `cpu` when `pin` and there are two or more, so the
/// sender and the receiver each have a core of their own in every run: left to the
/// scheduler they sometimes share one, and runs of the same variant differ more.
///
///     bench::pin_to_cpu(1, pin_threads);
inline void pin_to_cpu(int cpu, bool pin) {
    if (!pin || std::thread::hardware_concurrency() < 2) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set);
}

/// CPU time of one thread, split as the kernel accounts it.
///
///     const auto start = bench::cpu_time::of_this_thread();
///     work();
///     const bench::cpu_time spent = bench::cpu_time::of_this_thread() - start;
struct cpu_time {
    double user = 0;  // seconds
    double system = 0;

    static double seconds(const timeval& t) {
        return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec);
    }
    static cpu_time of_this_thread() {
        rusage usage{};
        ::getrusage(RUSAGE_THREAD, &usage);
        return {seconds(usage.ru_utime), seconds(usage.ru_stime)};
    }
    cpu_time operator-(const cpu_time& earlier) const { return {user - earlier.user, system - earlier.system}; }
};

/// CPU seconds the whole machine spent busy (all cores, stolen time included) and this
/// process's share: what is left is other work, which skews a run on a shared machine.
///
///     const auto before = bench::machine_time::now();
///     run();
///     const double others = bench::machine_time::now().others_since(before);  // in cores
struct machine_time {
    double busy = 0;
    double ours = 0;
    clock_type::time_point at;

    static machine_time now() {
        machine_time out;
        out.at = clock_type::now();
        if (std::FILE* stat = std::fopen("/proc/stat", "r")) {
            // cpu  user nice system idle iowait irq softirq steal
            unsigned long long v[8] = {};
            if (std::fscanf(stat, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                            &v[5], &v[6], &v[7]) == 8) {
                const auto busy_ticks = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
                out.busy = static_cast<double>(busy_ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
            }
            std::fclose(stat);
        }
        rusage usage{};
        ::getrusage(RUSAGE_SELF, &usage);
        out.ours = cpu_time::seconds(usage.ru_utime) + cpu_time::seconds(usage.ru_stime);
        return out;
    }

    /// Cores' worth of other work between `earlier` and this (at /proc/stat's 10 ms grain).
    [[nodiscard]] double others_since(const machine_time& earlier) const {
        const double wall = std::chrono::duration<double>(at - earlier.at).count();
        if (wall <= 0) return 0;
        return std::max(0.0, (busy - earlier.busy) - (ours - earlier.ours)) / wall;
    }
};

/// The flags both socket benchmarks take, beside Google Benchmark's and their own.
///
///     bench::run_flags flags;
///     for (...) if (!flags.take(argv[i])) argv[kept++] = argv[i];
struct run_flags {
    double seconds_per_run = 0.25;  ///< --seconds_per_run: how long one run sends
    double quiet_budget = 0;        ///< --wait_for_quiet: seconds in all that runs may wait for a quiet machine
    bool pin_threads = true;        ///< false with --no_pin: the scheduler places the threads
    bool diagnostics = false;       ///< --diagnostics: also the variants that pair a wirepack side with a raw one

    /// How long one run sends, as the clock counts.
    [[nodiscard]] clock_type::duration run_length() const {
        return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds_per_run));
    }

    /// Takes `arg` if it is one of these flags; returns whether it did.
    bool take(std::string_view arg) {
        if (arg.starts_with("--seconds_per_run=")) {
            seconds_per_run = std::strtod(flag_value(arg, "--seconds_per_run="), nullptr);
        } else if (arg.starts_with("--wait_for_quiet=")) {
            quiet_budget = std::strtod(flag_value(arg, "--wait_for_quiet="), nullptr);
        } else if (arg == "--no_pin") {
            pin_threads = false;
        } else if (arg == "--diagnostics") {
            diagnostics = true;
        } else {
            return false;
        }
        return true;
    }

    /// The text after `flag` in `arg`, a NUL-terminated argument. Requires: `arg` starts with `flag`.
    static const char* flag_value(std::string_view arg, std::string_view flag) { return arg.data() + flag.size(); }
};

/// Waits, within what is left of `budget` seconds (which it spends), until other
/// processes use less than a tenth of a core over 100 ms, so a run starts on an idle
/// machine. One budget serves the whole process: a busy machine delays it boundedly.
///
///     bench::wait_for_quiet(flags.quiet_budget);   // before each run
inline void wait_for_quiet(double& budget) {
    while (budget > 0) {
        const auto before = machine_time::now();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const auto after = machine_time::now();
        budget -= std::chrono::duration<double>(after.at - before.at).count();
        if (after.others_since(before) < 0.1) return;
    }
}

/// The receiving side of a run: a thread that runs `work` pinned to CPU 1 (when `pin`;
/// the sender pins itself to CPU 0), counts the CPU time it spends and keeps what it
/// throws, calling `on_failure` then (to unblock the sender, say).
///
///     bench::receiver_thread receiver(pin, [&] { seen = receive(socket); }, [&] { ::shutdown(fd, SHUT_RDWR); });
///     send_for_a_while();
///     receiver.join();
///     if (!receiver.failure().empty()) state.SkipWithError(...);
class receiver_thread {
public:
    template <class Work, class OnFailure>
    receiver_thread(bool pin, Work work, OnFailure on_failure)
        : thread_([this, pin, work = std::move(work), on_failure = std::move(on_failure)]() mutable {
              pin_to_cpu(1, pin);
              const auto start = cpu_time::of_this_thread();
              try {
                  work();
              } catch (...) {
                  failure_ = std::current_exception();
                  on_failure();
              }
              spent_ = cpu_time::of_this_thread() - start;
          }) {}

    receiver_thread(receiver_thread&&) = delete;  // the thread refers to this object

    void join() { thread_.join(); }

    /// After `join`: the thread's CPU time.
    [[nodiscard]] cpu_time spent() const noexcept { return spent_; }

    /// After `join`: what `work` threw, as its what(); empty when it returned.
    [[nodiscard]] std::string failure() const {
        if (!failure_) return {};
        try {
            std::rethrow_exception(failure_);
        } catch (const std::exception& e) {
            return e.what();
        } catch (...) {
            return "an exception that is no std::exception";
        }
    }

private:
    cpu_time spent_;
    std::exception_ptr failure_;
    std::thread thread_;  // last: the thread starts once the members it writes exist
};

}  // namespace bench
