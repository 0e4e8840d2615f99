// The Catch2 headers the tests use, for Catch2 3 (SMTPWIRE_CATCH2_V3) or Catch2 2.
// Tests use only what both versions offer: TEST_CASE, SECTION, REQUIRE, CHECK, ...
#ifndef SMTPWIRE_TESTS_CATCH_HPP
#define SMTPWIRE_TESTS_CATCH_HPP

#ifdef SMTPWIRE_CATCH2_V3
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators_all.hpp>
#else
#include <catch2/catch.hpp>
#endif

#endif
