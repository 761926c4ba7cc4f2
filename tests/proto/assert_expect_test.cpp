// Tests of proto/assert: --send parsing, each matcher, JSON pointers (RFC 6901 §5 examples and
// ~0/~1 escapes), close code lists and script files.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "proto/assert/close_codes.h"
#include "proto/assert/expect.h"
#include "proto/assert/json_pointer.h"
#include "proto/assert/script.h"
#include "tests/support/guarded.h"

namespace {

using namespace wsp::proto;
using namespace wsp::proto::assertion;

file_reader fake_files(std::map<std::string, std::string> files)
{
    return [files = std::move(files)](std::string_view path) -> tl::expected<std::string, std::string> {
        const auto it = files.find(std::string(path));
        if (it == files.end()) {
            return tl::unexpected(std::string("No such file or directory"));
        }
        return it->second;
    };
}

verdict match(const expectation& e, std::string_view reply)
{
    wsp::test::guarded_buffer g(reply);
    return e.match(false, g.view());
}

TEST(assert_send, text_hex_file_and_escapes)
{
    const auto files = fake_files({{"req.json", R"({"op":"sub"})"}, {"blob", std::string("\x00\xff", 2)}});
    auto t = parse_send("hello", false, files);
    ASSERT_TRUE(t);
    EXPECT_FALSE(t->binary);
    EXPECT_EQ(t->bytes, "hello");
    auto h = parse_send("hex:48 65:6c6C6f", false, files);
    ASSERT_TRUE(h);
    EXPECT_TRUE(h->binary);
    EXPECT_EQ(h->bytes, "Hello");
    auto f = parse_send("@req.json", false, files);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->bytes, R"({"op":"sub"})");
    auto b = parse_send("@blob", true, files);
    ASSERT_TRUE(b);
    EXPECT_TRUE(b->binary);
    EXPECT_EQ(b->bytes, std::string("\x00\xff", 2));
    auto at = parse_send("@@handle", false, files);
    ASSERT_TRUE(at);
    EXPECT_EQ(at->bytes, "@handle");
    auto bin = parse_send("abc", true, files);
    ASSERT_TRUE(bin);
    EXPECT_TRUE(bin->binary);
}

TEST(assert_send, problems)
{
    const auto files = fake_files({{"blob", std::string("\xff\xfe", 2)}});
    auto odd = parse_send("hex:abc", false, files);
    ASSERT_FALSE(odd);
    EXPECT_TRUE(odd.error().error == errc::bad_hex);
    EXPECT_EQ(odd.error().error.cls(), wsp::failure_class::config);
    EXPECT_TRUE(parse_send("hex:zz", false, files).error().error == errc::bad_hex);
    auto missing = parse_send("@nope.txt", false, files);
    ASSERT_FALSE(missing);
    EXPECT_TRUE(missing.error().error == errc::send_file_unreadable);
    EXPECT_NE(missing.error().sentence.find("nope.txt"), std::string::npos);
    EXPECT_NE(missing.error().sentence.find("No such file"), std::string::npos);
    EXPECT_TRUE(parse_send("@", false, files).error().error == errc::bad_send);
    EXPECT_TRUE(parse_send("@x", false, nullptr).error().error == errc::bad_send);
    auto not_utf8 = parse_send("@blob", false, files);
    ASSERT_FALSE(not_utf8);
    EXPECT_TRUE(not_utf8.error().error == errc::send_not_utf8);
    EXPECT_NE(not_utf8.error().sentence.find("--binary"), std::string::npos);
    EXPECT_TRUE(parse_send("@blob", true, files));
}

TEST(assert_expect, contains_and_equals)
{
    auto c = expectation::contains("\"ok\"");
    ASSERT_TRUE(c);
    EXPECT_TRUE(match(*c, R"({"status":"ok"})").ok());
    const verdict miss = match(*c, R"({"status":"error"})");
    EXPECT_FALSE(miss.ok());
    EXPECT_EQ(miss.error.name(), "reply_missing_text");
    EXPECT_EQ(miss.sentence, R"(Expected the reply to contain "\"ok\""; got reply "{\"status\":\"error\"}")");
    auto e = expectation::equals("pong");
    ASSERT_TRUE(e);
    EXPECT_TRUE(match(*e, "pong").ok());
    EXPECT_TRUE(match(*e, "pong ").error == errc::reply_not_equal);
    EXPECT_TRUE(match(*e, "").error == errc::reply_not_equal);
    // A long reply is quoted as a bounded preview.
    const verdict long_miss = match(*e, std::string(500, 'x'));
    EXPECT_LT(long_miss.sentence.size(), 200u);
    EXPECT_NE(long_miss.sentence.find("(500 bytes)"), std::string::npos);
    // Binary replies are labelled and non-printable bytes escaped.
    const verdict bin = c->match(true, std::string("\x01\x02", 2));
    EXPECT_NE(bin.sentence.find(R"(binary reply "\x01\x02")"), std::string::npos) << bin.sentence;
}

TEST(assert_expect, regex)
{
    auto r = expectation::regex(R"("count":\s*[0-9]+)");
    ASSERT_TRUE(r);
    EXPECT_TRUE(match(*r, R"({"count": 42})").ok());
    EXPECT_TRUE(match(*r, R"({"count": "x"})").error == errc::reply_regex_mismatch);
    auto bad = expectation::regex("([a-z");
    ASSERT_FALSE(bad);
    EXPECT_TRUE(bad.error().error == errc::bad_regex);
    EXPECT_NE(bad.error().sentence.find("([a-z"), std::string::npos);
    // A backtracking-heavy pattern runs on a reply at the default bound without exhausting the
    // stack, and one byte more is refused instead of run.
    auto heavy = expectation::regex("^(a|b)*c");
    ASSERT_TRUE(heavy);
    EXPECT_TRUE(match(*heavy, std::string(4096, 'a')).error == errc::reply_regex_mismatch);
    EXPECT_TRUE(match(*heavy, std::string(4097, 'a')).error == errc::reply_too_large);
    r->set_max_input(8);
    const verdict big = match(*r, R"({"count": 42})");
    EXPECT_TRUE(big.error == errc::reply_too_large);
    EXPECT_EQ(big.error.cls(), wsp::failure_class::limit);
}

TEST(assert_expect, json_pointer_values)
{
    const std::string reply =
        R"({"type":"result","data":{"id":7,"ok":true,"ratio":0.5,"tags":["a","b"],"none":null,"a/b":1,"m~n":2}})";
    struct row {
        const char* spec;
        bool ok;
    };
    for (const row& r :
         {row{"/type=result", true}, row{"/type=\"result\"", true}, row{"/type=other", false},
          row{"/data/id=7", true}, row{"/data/id=7.0", true}, row{"/data/id=\"7\"", false},
          row{"/data/ok=true", true}, row{"/data/ok=false", false}, row{"/data/ratio=0.5", true},
          row{"/data/tags/1=b", true}, row{"/data/tags=[\"a\",\"b\"]", true},
          row{"/data/tags=[\"b\",\"a\"]", false}, row{"/data/none=null", true}, row{"/data/a~1b=1", true},
          row{"/data/m~0n=2", true}, row{"/data", true}, row{"/data/id", true}, row{"=x", false}}) {
        auto e = expectation::json(r.spec);
        ASSERT_TRUE(e) << r.spec;
        EXPECT_EQ(match(*e, reply).ok(), r.ok) << r.spec << ": " << match(*e, reply).sentence;
    }
    auto obj = expectation::json(
        R"(/data={"ok":true,"id":7,"ratio":0.5,"tags":["a","b"],"none":null,"a/b":1,"m~n":2})");
    ASSERT_TRUE(obj);
    EXPECT_TRUE(match(*obj, reply).ok());
}

TEST(assert_expect, json_pointer_failures_are_distinct)
{
    auto e = expectation::json("/status=ok");
    ASSERT_TRUE(e);
    const verdict not_json = match(*e, "<html>");
    EXPECT_EQ(not_json.error.name(), "reply_not_json");
    EXPECT_NE(not_json.sentence.find("<html>"), std::string::npos);
    const verdict missing = match(*e, R"({"state":"ok"})");
    EXPECT_EQ(missing.error.name(), "json_pointer_not_found");
    EXPECT_NE(missing.sentence.find("/status"), std::string::npos);
    const verdict differs = match(*e, R"({"status":"down"})");
    EXPECT_EQ(differs.error.name(), "json_value_mismatch");
    EXPECT_EQ(differs.sentence, R"(The reply has "\"down\"" at JSON pointer "/status", expected "\"ok\""; )"
                                R"(got reply "{\"status\":\"down\"}")");
    for (const char* bad : {"status=ok", "/a~2=1", "/a~=1"}) {
        auto b = expectation::json(bad);
        ASSERT_FALSE(b) << bad;
        EXPECT_TRUE(b.error().error == errc::bad_json_pointer) << bad;
    }
}

TEST(assert_json_pointer, rfc6901_examples)
{
    const std::string doc =
        R"({"foo":["bar","baz"],"":0,"a/b":1,"c%d":2,"e^f":3,"g|h":4,"i\\j":5,"k\"l":6," ":7,"m~n":8})";
    json_reader reader;
    simdjson::dom::element root;
    ASSERT_EQ(reader.parse(doc).get(root), simdjson::SUCCESS);
    struct row {
        const char* pointer;
        const char* value;
    };
    for (const row& r :
         {row{"", nullptr}, row{"/foo", R"(["bar","baz"])"}, row{"/foo/0", R"("bar")"}, row{"/", "0"},
          row{"/a~1b", "1"}, row{"/c%d", "2"}, row{"/e^f", "3"}, row{"/g|h", "4"}, row{"/i\\j", "5"},
          row{"/k\"l", "6"}, row{"/ ", "7"}, row{"/m~0n", "8"}}) {
        auto p = json_pointer::parse(r.pointer);
        ASSERT_TRUE(p) << r.pointer;
        simdjson::dom::element e;
        ASSERT_EQ(p->resolve(root).get(e), simdjson::SUCCESS) << r.pointer;
        if (r.value) {
            EXPECT_EQ(simdjson::minify(e), r.value) << r.pointer;
        }
    }
    auto tilde = json_pointer::parse("/~01");
    ASSERT_TRUE(tilde);
    EXPECT_EQ(tilde->tokens(), std::vector<std::string>{"~1"}); // ~01 is "~1", not "/"
    simdjson::dom::element e;
    for (const char* miss : {"/foo/2", "/foo/-", "/foo/01", "/foo/x", "/nope", "/foo/0/deeper"}) {
        auto p = json_pointer::parse(miss);
        ASSERT_TRUE(p) << miss;
        EXPECT_NE(p->resolve(root).get(e), simdjson::SUCCESS) << miss;
    }
}

TEST(assert_close, parse_and_match)
{
    auto one = close_code_set::parse("4401");
    ASSERT_TRUE(one);
    EXPECT_TRUE(one->match(4401).ok());
    const verdict other = one->match(1000, "bye");
    EXPECT_EQ(other.error.name(), "unexpected_close_code");
    EXPECT_EQ(other.sentence, "Expected close code 4401; the server closed with 1000, reason \"bye\"");
    EXPECT_EQ(one->match(std::nullopt).error.name(), "no_close_frame");
    auto many = close_code_set::parse(" 4400-4499 , 1000");
    ASSERT_TRUE(many);
    EXPECT_EQ(many->text(), "4400-4499,1000");
    EXPECT_TRUE(many->contains(4400));
    EXPECT_TRUE(many->contains(4499));
    EXPECT_TRUE(many->contains(1000));
    EXPECT_FALSE(many->contains(4500));
    EXPECT_FALSE(many->contains(1001));
    for (const char* bad : {"", "abc", "4499-4400", "999", "5000", "1000,", "10-", "4401x", "-4401"}) {
        auto b = close_code_set::parse(bad);
        ASSERT_FALSE(b) << bad;
        EXPECT_TRUE(b.error().error == errc::bad_close_codes) << bad;
    }
}

TEST(assert_script, steps_parse)
{
    const auto files = fake_files({{"sub.json", R"({"type":"subscribe"})"}});
    auto s = parse_script(R"({"steps":[
        {"send":"hello","expect":{"contains":"hel","regex":"^h"}},
        {"send":"@sub.json","expect":{"json":["/ok=true","/id"]}},
        {"send":"hex:0102","binary":true},
        {"expect":{"equals":"tick"}}]})",
                          files);
    ASSERT_TRUE(s) << s.error().sentence;
    ASSERT_EQ(s->size(), 4u);
    EXPECT_EQ((*s)[0].send->bytes, "hello");
    ASSERT_EQ((*s)[0].expect.size(), 2u);
    EXPECT_EQ((*s)[0].expect[1].kind(), expect_kind::regex);
    EXPECT_EQ((*s)[1].send->bytes, R"({"type":"subscribe"})");
    EXPECT_EQ((*s)[1].expect.size(), 2u);
    EXPECT_TRUE((*s)[1].expect[0].match(false, R"({"ok":true})").ok());
    EXPECT_TRUE((*s)[2].send->binary);
    EXPECT_TRUE((*s)[2].expect.empty());
    EXPECT_FALSE((*s)[3].send);
}

TEST(assert_script, errors_name_step_and_field)
{
    const auto files = fake_files({});
    struct row {
        const char* text;
        errc code;
        const char* words;
    };
    for (const row& r : {
             row{"not json", errc::bad_script, "not JSON"},
             row{R"({"step":[]})", errc::bad_script, "\"steps\" array"},
             row{R"({"steps":[]})", errc::bad_script, "empty"},
             row{R"({"steps":[{"send":"a"}],"extra":1})", errc::bad_script, "\"extra\""},
             row{R"({"steps":[5])", errc::bad_script, "not JSON"},
             row{R"({"steps":[5]})", errc::bad_script, "script step 0: each step must be a JSON object"},
             row{R"({"steps":[{"send":"a"},{"snd":"b"}]})", errc::bad_script, "script step 1, field \"snd\""},
             row{R"({"steps":[{"send":1}]})", errc::bad_script, "step 0, field \"send\": must be a string"},
             row{R"({"steps":[{"send":"a","binary":"yes"}]})", errc::bad_script, "field \"binary\""},
             row{R"({"steps":[{"send":"a"},{"expect":{"regex":"("}}]})", errc::bad_regex,
                 "step 1, field \"expect.regex\""},
             row{R"({"steps":[{"expect":{"json":"nope=1"}}]})", errc::bad_json_pointer,
                 "field \"expect.json\""},
             row{R"({"steps":[{"expect":{"matches":"x"}}]})", errc::bad_script, "field \"expect.matches\""},
             row{R"({"steps":[{"expect":{"contains":[1]}}]})", errc::bad_script,
                 "array items must be strings"},
             row{R"({"steps":[{"expect":"x"}]})", errc::bad_script, "field \"expect\""},
             row{R"({"steps":[{}]})", errc::bad_script, "needs send, expect or both"},
             row{R"({"steps":[{"send":"@missing"}]})", errc::send_file_unreadable, "field \"send\""},
         }) {
        auto s = parse_script(r.text, files);
        ASSERT_FALSE(s) << r.text;
        EXPECT_TRUE(s.error().error == r.code) << r.text << " -> " << s.error().error.name();
        EXPECT_NE(s.error().sentence.find(r.words), std::string::npos)
            << r.text << " -> " << s.error().sentence;
    }
}

} // namespace
