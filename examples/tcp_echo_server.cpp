// The echo server from the Python socket article, over TCP, with frames.
//
// Python:
//     sock.bind(('localhost', 10000))
//     sock.listen(1)
//     connection, client_address = sock.accept()
//     data = connection.recv(16)
//     connection.sendall(data)
//
// recv(16) returns whatever bytes have arrived: TCP keeps no message boundaries.
// Here every message travels in a frame (a 4-byte big-endian length, then the
// payload), so the server reads and echoes whole messages however TCP splits or
// joins them. Unlike the article's server, this one serves a single client and
// exits when that client closes its end.
//
// Usage: tcp_echo_server [HOST:PORT]      (default 127.0.0.1:0: any free port)

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

#include <wirepack/net.hpp>

int main(int argc, char** argv) try {
    namespace net = wirepack::net;
    const std::string address = argc > 1 ? argv[1] : "127.0.0.1:0";

    auto listener = net::stream_listener::listen_tcp(address);
    // Port 0 lets the kernel choose; local_endpoint() says which port it chose.
    std::printf("listening on %s\n", listener.local_endpoint().to_string().c_str());
    std::fflush(stdout);  // whoever starts us waits for that line

    auto connection = listener.accept();
    connection.set_timeout(std::chrono::seconds(10));  // like sock.settimeout(10)
    std::printf("connection from %s\n", connection.peer_endpoint().to_string().c_str());

    net::frame_reader reader(connection);  // "!I" length prefix, 16 MiB at most
    int echoed = 0;
    while (auto frame = reader.recv_frame()) {  // empty: the client closed its end
        net::send_frame(connection, frame->payload);
        ++echoed;
    }
    std::printf("client closed the connection; echoed %d frames\n", echoed);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "tcp_echo_server: %s\n", e.what());
    return 1;
}
