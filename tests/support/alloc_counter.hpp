// Counts calls to the global operator new, which tests/support/alloc_counter.cpp replaces.
// Used to show that sessions allocate nothing after construction.
#pragma once

#include <cstddef>

namespace smtpwire_test {

/// Allocations made through operator new since the program started.
std::size_t allocation_count() noexcept;

} // namespace smtpwire_test
