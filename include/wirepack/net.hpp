#pragma once
/// \file
/// Everything in `wirepack::net` (link `wirepack::net`): endpoints, stream sockets and
/// listeners, and frames over streams.

#include <wirepack/net/endpoint.hpp>
#include <wirepack/net/file_descriptor.hpp>
#include <wirepack/net/frame_stream.hpp>
#include <wirepack/net/stream.hpp>
