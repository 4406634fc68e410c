#include <wirepack/net/endpoint.hpp>

#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <memory>
#include <system_error>

namespace wirepack::net {

namespace {

constexpr std::size_t sun_path_offset = offsetof(sockaddr_un, sun_path);
constexpr std::size_t sun_path_capacity = sizeof(sockaddr_un::sun_path);

[[noreturn]] void throw_invalid(const std::string& message) {
    throw std::system_error(std::make_error_code(std::errc::invalid_argument), message);
}

/// getaddrinfo's EAI_* codes: the message is gai_strerror's, and each code compares
/// equal to the std::errc that `endpoint::resolve` documents.
class getaddrinfo_category final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "getaddrinfo"; }

    [[nodiscard]] std::string message(int code) const override { return ::gai_strerror(code); }

    [[nodiscard]] std::error_condition default_error_condition(int code) const noexcept override {
        switch (code) {
        case EAI_AGAIN: return std::errc::resource_unavailable_try_again;
        case EAI_MEMORY: return std::errc::not_enough_memory;
        case EAI_FAMILY: return std::errc::address_family_not_supported;
        case EAI_BADFLAGS:
        case EAI_SERVICE:
        case EAI_SOCKTYPE: return std::errc::invalid_argument;
        default: return std::errc::host_unreachable;  // EAI_NONAME, EAI_NODATA, EAI_FAIL, ...
        }
    }
};

const getaddrinfo_category& resolve_errors() noexcept {
    static const getaddrinfo_category category;
    return category;
}

struct addrinfo_deleter {
    void operator()(addrinfo* list) const noexcept { ::freeaddrinfo(list); }
};

/// "HOST:PORT" or "[V6]:PORT" taken apart; `bracketed` when the host was in brackets.
struct host_and_port {
    std::string host;
    std::string port;
    bool bracketed = false;
};

/// A port is 1 to 5 decimal digits with a value up to 65535: no sign, no spaces.
bool is_valid_port(std::string_view port) {
    if (port.empty() || port.size() > 5) return false;
    if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
    unsigned value = 0;
    std::from_chars(port.data(), port.data() + port.size(), value);
    return value <= 65535;
}

host_and_port split_host_port(std::string_view text) {
    const auto refuse = [text](const char* why) {
        throw_invalid("resolve \"" + std::string(text) + "\": " + why + " (expected HOST:PORT or [V6]:PORT)");
    };
    host_and_port parts;
    std::string_view port;
    if (text.starts_with('[')) {
        const auto close = text.find(']');
        if (close == std::string_view::npos) refuse("no ']' after the IPv6 address");
        parts.host = std::string(text.substr(1, close - 1));
        parts.bracketed = true;
        const auto rest = text.substr(close + 1);
        if (rest.empty()) refuse("missing port");
        if (rest.front() != ':') refuse("expected ':' after ']'");
        port = rest.substr(1);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) refuse("missing port");
        parts.host = std::string(text.substr(0, colon));
        if (parts.host.find(':') != std::string::npos) refuse("an IPv6 address needs brackets");
        port = text.substr(colon + 1);
    }
    if (parts.host.empty()) refuse("missing host");
    if (parts.host.find('\0') != std::string::npos) refuse("NUL in host");
    if (port.empty()) refuse("missing port");
    if (!is_valid_port(port)) refuse("port must be digits 0 to 65535");
    parts.port = std::string(port);
    return parts;
}

const sockaddr_un& as_unix(const sockaddr_storage& storage) noexcept {
    return *reinterpret_cast<const sockaddr_un*>(&storage);
}

/// The Unix path or abstract name bytes after `sun_path`'s first byte ("" when unnamed).
std::string_view unix_name_bytes(const sockaddr_storage& storage, socklen_t size) noexcept {
    if (size <= sun_path_offset) return {};
    const auto& address = as_unix(storage);
    const std::size_t length = std::min<std::size_t>(size - sun_path_offset, sun_path_capacity);
    return {address.sun_path, length};
}

/// The file-system path of a Unix path address: the name bytes up to the first NUL.
std::string_view unix_path_bytes(const sockaddr_storage& storage, socklen_t size) noexcept {
    const auto bytes = unix_name_bytes(storage, size);
    return bytes.substr(0, bytes.find('\0'));
}

/// Builds a Unix endpoint whose `sun_path` holds `prefix` (a NUL for an abstract
/// name, nothing for a path) then `name`, with the exact length the kernel needs.
endpoint make_unix(std::string_view name, bool abstract, const char* what) {
    const auto describe = [&] { return std::string(what) + " \"" + std::string(name) + "\": "; };
    if (name.empty()) throw_invalid(describe() + "empty name");
    if (name.find('\0') != std::string_view::npos) throw_invalid(describe() + "NUL in name");
    // A path needs its terminating NUL; an abstract name needs its leading one.
    if (name.size() + 1 > sun_path_capacity) {
        throw std::system_error(std::make_error_code(std::errc::filename_too_long),
                                describe() + "longer than the " + std::to_string(sun_path_capacity - 1) +
                                    " bytes a Unix socket address holds");
    }
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path + (abstract ? 1 : 0), name.data(), name.size());
    const auto size = static_cast<socklen_t>(sun_path_offset + 1 + name.size());
    return endpoint(reinterpret_cast<const sockaddr*>(&address), size);
}

}  // namespace

endpoint::endpoint() noexcept : storage_{}, size_(0) { storage_.ss_family = AF_UNSPEC; }

endpoint::endpoint(const sockaddr* address, socklen_t size) : storage_{}, size_(0) {
    if (size > capacity()) {
        throw_invalid("endpoint: address of " + std::to_string(size) + " bytes is larger than sockaddr_storage");
    }
    if (size > 0) std::memcpy(&storage_, address, size);
    size_ = size;
}

std::vector<endpoint> endpoint::resolve(std::string_view host_port, int socket_type) {
    const auto parts = split_host_port(host_port);
    addrinfo hints{};
    hints.ai_family = parts.bracketed ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = socket_type;
    hints.ai_flags = AI_NUMERICSERV | (parts.bracketed ? AI_NUMERICHOST : 0);
    addrinfo* raw_list = nullptr;
    const int status = ::getaddrinfo(parts.host.c_str(), parts.port.c_str(), &hints, &raw_list);
    if (status != 0) {
        const auto context = "resolve " + std::string(host_port);
        if (status == EAI_SYSTEM) throw std::system_error(errno, std::system_category(), context);
        throw std::system_error(status, resolve_errors(), context);
    }
    const std::unique_ptr<addrinfo, addrinfo_deleter> list(raw_list);
    std::vector<endpoint> endpoints;
    for (const addrinfo* entry = list.get(); entry != nullptr; entry = entry->ai_next) {
        endpoints.emplace_back(entry->ai_addr, entry->ai_addrlen);
    }
    return endpoints;
}

endpoint endpoint::unix_path(std::string_view path) { return make_unix(path, false, "unix path"); }

endpoint endpoint::unix_abstract(std::string_view name) { return make_unix(name, true, "unix abstract name"); }

endpoint endpoint::unix_address(std::string_view path_or_at_name) {
    if (path_or_at_name.starts_with('@')) return unix_abstract(path_or_at_name.substr(1));
    return unix_path(path_or_at_name);
}

int endpoint::family() const noexcept {
    return size_ >= sizeof(sa_family_t) ? storage_.ss_family : AF_UNSPEC;
}

const sockaddr* endpoint::data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }

sockaddr* endpoint::data() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }

socklen_t endpoint::size() const noexcept { return size_; }

void endpoint::resize(socklen_t size) {
    if (size > capacity()) {
        throw_invalid("endpoint: size " + std::to_string(size) + " is larger than sockaddr_storage");
    }
    size_ = size;
}

std::uint16_t endpoint::port() const noexcept {
    switch (family()) {
    case AF_INET: return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    case AF_INET6: return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    default: return 0;
    }
}

std::string endpoint::path() const {
    if (family() != AF_UNIX || is_abstract()) return {};
    return std::string(unix_path_bytes(storage_, size_));
}

bool endpoint::is_abstract() const noexcept {
    const auto bytes = unix_name_bytes(storage_, size_);
    return family() == AF_UNIX && !bytes.empty() && bytes.front() == '\0';
}

std::string endpoint::to_string() const {
    switch (family()) {
    case AF_INET: {
        const auto& address = *reinterpret_cast<const sockaddr_in*>(&storage_);
        char text[INET_ADDRSTRLEN] = {};
        ::inet_ntop(AF_INET, &address.sin_addr, text, sizeof text);
        return std::string(text) + ':' + std::to_string(port());
    }
    case AF_INET6: {
        const auto& address = *reinterpret_cast<const sockaddr_in6*>(&storage_);
        char text[INET6_ADDRSTRLEN] = {};
        ::inet_ntop(AF_INET6, &address.sin6_addr, text, sizeof text);
        std::string host = text;
        if (address.sin6_scope_id != 0) {
            char interface_name[IF_NAMESIZE] = {};
            host += '%';
            host += ::if_indextoname(address.sin6_scope_id, interface_name) != nullptr
                        ? std::string(interface_name)
                        : std::to_string(address.sin6_scope_id);
        }
        return '[' + host + "]:" + std::to_string(port());
    }
    case AF_UNIX: {
        if (is_abstract()) return '@' + std::string(unix_name_bytes(storage_, size_).substr(1));
        auto name = path();
        return name.empty() ? "(unnamed)" : name;
    }
    case AF_UNSPEC: return "(unspecified)";
    default: return "(address family " + std::to_string(family()) + ")";
    }
}

bool operator==(const endpoint& a, const endpoint& b) noexcept {
    if (a.family() != b.family()) return false;
    switch (a.family()) {
    case AF_UNSPEC: return true;
    case AF_INET: {
        const auto& x = *reinterpret_cast<const sockaddr_in*>(a.data());
        const auto& y = *reinterpret_cast<const sockaddr_in*>(b.data());
        return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
    }
    case AF_INET6: {
        const auto& x = *reinterpret_cast<const sockaddr_in6*>(a.data());
        const auto& y = *reinterpret_cast<const sockaddr_in6*>(b.data());
        return x.sin6_port == y.sin6_port && x.sin6_scope_id == y.sin6_scope_id &&
               std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof x.sin6_addr) == 0;
    }
    case AF_UNIX: {
        if (a.is_abstract() != b.is_abstract()) return false;
        if (a.is_abstract()) return unix_name_bytes(a.storage_, a.size_) == unix_name_bytes(b.storage_, b.size_);
        return unix_path_bytes(a.storage_, a.size_) == unix_path_bytes(b.storage_, b.size_);
    }
    default: return a.size_ == b.size_ && std::memcmp(&a.storage_, &b.storage_, a.size_) == 0;
    }
}

}  // namespace wirepack::net
