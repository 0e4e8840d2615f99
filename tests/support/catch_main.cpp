// main() of the test executable when built with Catch2 2 (Catch2 3 brings its own).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
