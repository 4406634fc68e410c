#pragma once
/// \file
/// Everything in `wirepack::net` (link `wirepack::net`): endpoints, stream sockets and
/// listeners, frames over streams, and UDP sockets with batching and multicast.

#include <wirepack/net/endpoint.hpp>
#include <wirepack/net/file_descriptor.hpp>
#include <wirepack/net/frame_stream.hpp>
#include <wirepack/net/stream.hpp>
#include <wirepack/net/udp.hpp>
