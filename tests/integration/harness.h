// Integration harness: starts wsprobe-lab on 127.0.0.1 (ephemeral port), runs `wsprobe check`
// with --json and parses the result.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/process.h"

namespace wsp::test {

using namespace std::chrono_literals;

// One lab server for a test suite.
class lab_server {
public:
    lab_server()
    {
        proc_ = std::make_unique<child_process>(std::vector<std::string>{WSPROBE_LAB_BIN, "--listen", "127.0.0.1:0"});
        auto line = proc_->read_line(10s);
        if (!line) {
            throw std::runtime_error("wsprobe-lab did not report its port; stderr: " + proc_->err());
        }
        const std::string prefix = "wsprobe-lab listening on ws://";
        const auto at = line->find(prefix);
        if (at == std::string::npos) {
            throw std::runtime_error("unexpected first line from wsprobe-lab: " + *line);
        }
        authority_ = line->substr(at + prefix.size());
    }
    [[nodiscard]] std::string url(const std::string& path) const { return "ws://" + authority_ + path; }
    [[nodiscard]] const std::string& authority() const { return authority_; }
    [[nodiscard]] std::uint16_t port() const
    {
        return static_cast<std::uint16_t>(std::stoi(authority_.substr(authority_.rfind(':') + 1)));
    }

private:
    std::unique_ptr<child_process> proc_;
    std::string authority_;
};

struct run_output {
    int exit_code = -1;
    std::string out;
    std::string err;
};

inline run_output run_wsprobe(std::vector<std::string> args, std::chrono::milliseconds timeout = 30s)
{
    args.insert(args.begin(), WSPROBE_BIN);
    child_process p(args);
    run_output r;
    auto code = p.wait(timeout);
    r.out = p.out();
    r.err = p.err();
    r.exit_code = code.value_or(-1);
    return r;
}

// The parsed --json result of one check.
struct check_json {
    run_output run;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    bool parsed = false;

    [[nodiscard]] std::string str(const char* field) const
    {
        std::string_view v;
        if (doc[field].get(v) != simdjson::SUCCESS) {
            return "<null>";
        }
        return std::string(v);
    }
    [[nodiscard]] std::string status() const { return str("status"); }
    [[nodiscard]] std::string phase() const { return str("failed_phase"); }
    [[nodiscard]] std::string code() const { return str("code"); }
    [[nodiscard]] std::string message() const { return str("message"); }
    [[nodiscard]] std::string context() const { return run.out + run.err; }
};

inline std::unique_ptr<check_json> check(std::vector<std::string> args)
{
    args.insert(args.begin(), "check");
    args.push_back("--json");
    auto c = std::make_unique<check_json>();
    c->run = run_wsprobe(std::move(args));
    c->parsed = c->parser.parse(c->run.out).get(c->doc) == simdjson::SUCCESS;
    return c;
}

// A test suite sharing one lab for all its tests, started before the first and stopped after the
// last: `class my_suite : public lab_suite<my_suite> {};` (each suite its own lab).
template <class Suite>
class lab_suite : public ::testing::Test {
protected:
    static void SetUpTestSuite() { lab_ = new lab_server(); }
    static void TearDownTestSuite()
    {
        delete lab_;
        lab_ = nullptr;
    }
    static std::string url(const std::string& path) { return lab_->url(path); }
    static inline lab_server* lab_ = nullptr;
};

} // namespace wsp::test
