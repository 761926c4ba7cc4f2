#include "tools/lab/scenario.h"

#include <gtest/gtest.h>

using namespace wsp::lab;

TEST(lab_route, known_paths)
{
    EXPECT_EQ(route("/echo")->kind, scenario_kind::echo);
    EXPECT_EQ(route("/")->kind, scenario_kind::echo);
    auto s = route("/status/429");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->kind, scenario_kind::status);
    EXPECT_EQ(s->status, 429);
    auto slow = route("/slow-upgrade?ms=1500");
    ASSERT_TRUE(slow);
    EXPECT_EQ(slow->ms, 1500u);
    auto sub = route("/subprotocol?select=GraphQL-WS");
    EXPECT_EQ(sub->select, "GraphQL-WS");
    auto close = route("/close-after-upgrade?code=4403&reason=no%20scope");
    EXPECT_EQ(close->code, 4403);
    EXPECT_EQ(close->reason, "no scope");
    EXPECT_EQ(route("/redirect?to=%2Fnew")->location, "/new");
    EXPECT_EQ(route("/welcome")->message, "welcome");
}

TEST(lab_route, bad_numbers_fall_back_and_unknown_paths_are_refused)
{
    EXPECT_EQ(route("/slow-echo?ms=abc")->ms, 300u);
    EXPECT_EQ(route("/slow-echo?ms=99999999999")->ms, 300u);
    EXPECT_FALSE(route("/status/101"));
    EXPECT_FALSE(route("/status/abc"));
    EXPECT_FALSE(route("/status/9999"));
    EXPECT_FALSE(route("/nope"));
    EXPECT_FALSE(route(""));
    EXPECT_EQ(route("/welcome?text=%zz")->message, "%zz");
    EXPECT_EQ(route("/welcome?text=%4")->message, "%4");
    EXPECT_EQ(route("/welcome?text=%4z")->message, "%4z");
}
