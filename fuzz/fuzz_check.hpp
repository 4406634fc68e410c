#pragma once
// The one assertion of the fuzz targets: on a violated invariant, say which and
// where, then abort, which libFuzzer (and the replay main) report as a finding.
// Unlike assert(), it stays on in release builds.

#include <cstdio>
#include <cstdlib>

#define WIREPACK_FUZZ_CHECK(condition)                                                           \
    do {                                                                                         \
        if (!(condition)) {                                                                      \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
            std::abort();                                                                        \
        }                                                                                        \
    } while (false)
