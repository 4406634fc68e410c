// The echo server from the Python socket article, over a Unix domain socket.
//
// The same server as tcp_echo_server.cpp, at a file-system path instead of a
// host and port. Python:
//     try:
//         os.unlink('./socket_file')        # left over from an earlier run
//     except OSError:
//         pass
//     sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
//     sock.bind('./socket_file')
//
// The article warns that the socket file outlives the socket. wirepack's listener
// deletes its file when it closes, and when a server died without closing (a crash,
// kill -9), listen_unix removes the stale file it left. It removes only a socket file
// that nobody accepts connections on: a live server's socket, or a file that is not
// a socket, makes listen_unix fail instead.
//
// Usage: unix_echo_server PATH

#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>

#include <wirepack/net.hpp>

int main(int argc, char** argv) try {
    namespace net = wirepack::net;
    if (argc != 2) {
        std::fprintf(stderr, "usage: unix_echo_server PATH\n");
        return 2;
    }
    const char* path = argv[1];

    const bool leftover = std::filesystem::exists(path);
    auto listener = net::stream_listener::listen_unix(path);  // no os.unlink needed
    // A file was there and listen_unix succeeded: it was a stale socket, now replaced.
    if (leftover) std::printf("replaced the stale socket file at %s\n", path);
    std::printf("listening on %s\n", listener.local_endpoint().to_string().c_str());
    std::fflush(stdout);  // whoever starts us waits for that line

    auto connection = listener.accept();
    connection.set_timeout(std::chrono::seconds(10));
    std::printf("client connected\n");  // a Unix client usually has no address to show

    net::frame_reader reader(connection);
    int echoed = 0;
    while (auto frame = reader.recv_frame()) {  // empty: the client closed its end
        net::send_frame(connection, frame->payload);
        ++echoed;
    }
    std::printf("client closed the connection; echoed %d frames\n", echoed);

    listener.close();  // stops listening and deletes the socket file (the destructor would too)
    std::printf("listener closed; socket file %s\n", std::filesystem::exists(path) ? "still there" : "removed");
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "unix_echo_server: %s\n", e.what());
    return 1;
}
