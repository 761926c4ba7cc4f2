// Gives every test binary WSP_SOURCE_DIR and WSP_BUILD_DIR even when ctest did not set them:
// gtest_discover_tests splits an ENVIRONMENT value at ';', so only the first variable reached
// the tests, and tests that start the lab from the build tree skipped instead of running.
#include <cstdlib>

namespace {

struct build_env {
    build_env()
    {
        // setenv's last argument 0 keeps a value the caller set (ctest, a developer's shell).
        (void)::setenv("WSP_SOURCE_DIR", WSP_SOURCE_DIR_DEFAULT, 0);
        (void)::setenv("WSP_BUILD_DIR", WSP_BUILD_DIR_DEFAULT, 0);
    }
};

const build_env set_at_start;

} // namespace
