// TLS integration harness: starts `wsprobe-lab --listen 127.0.0.1:0 --tls-dir TMP` and parses its
// listener lines (the ws:// line first, then one wss:// line per TLS scenario), so tests can run
// `wsprobe check` against each certificate and handshake failure.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "tests/integration/harness.h"

namespace wsp::test {

// The TLS scenario names wsprobe-lab prints, in order (tools/lab/tls_scenarios.h).
inline const std::vector<std::string>& tls_scenario_names()
{
    static const std::vector<std::string> names = {
        "valid",     "expired",  "not-yet-valid", "self-signed", "wrong-host",
        "untrusted", "expiring", "tls12-only",    "mtls",        "alpn-h2-only"};
    return names;
}

// One lab with its TLS listeners and certificate directory; stops the lab and removes the
// directory when destroyed.
class tls_lab {
public:
    tls_lab()
    {
        char tmpl[] = "/tmp/wsprobe-tls-lab-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        root_ = tmpl;
        dir_ = root_ + "/certs"; // created by the lab
        proc_ = std::make_unique<child_process>(
            std::vector<std::string>{WSPROBE_LAB_BIN, "--listen", "127.0.0.1:0", "--tls-dir", dir_});
        const auto first = proc_->read_line(20s);
        const std::string plain = "wsprobe-lab listening on ws://";
        if (!first || first->rfind(plain, 0) != 0) {
            throw std::runtime_error("wsprobe-lab did not report its ws:// listener first; got \"" +
                                     first.value_or("") + "\", stderr: " + proc_->err());
        }
        plain_authority_ = first->substr(plain.size());
        const std::string secure = "wsprobe-lab listening on wss://";
        for (std::size_t i = 0; i < tls_scenario_names().size(); ++i) {
            const auto line = proc_->read_line(10s);
            if (!line || line->rfind(secure, 0) != 0) {
                throw std::runtime_error("unexpected TLS listener line: \"" + line.value_or("") +
                                         "\", stderr: " + proc_->err());
            }
            // "wss://127.0.0.1:PORT (tls: NAME)"
            const std::string rest = line->substr(secure.size());
            const auto space = rest.find(" (tls: ");
            if (space == std::string::npos || rest.back() != ')') {
                throw std::runtime_error("malformed TLS listener line: " + *line);
            }
            const std::string name = rest.substr(space + 7, rest.size() - space - 8);
            authorities_[name] = rest.substr(0, space);
            order_.push_back(name);
        }
    }
    tls_lab(const tls_lab&) = delete;
    tls_lab& operator=(const tls_lab&) = delete;
    ~tls_lab()
    {
        proc_.reset();
        std::error_code ec;
        std::filesystem::remove_all(root_, ec);
    }

    // "127.0.0.1:PORT" of a TLS scenario's listener; throws for an unknown name.
    [[nodiscard]] const std::string& authority(const std::string& scenario) const
    {
        return authorities_.at(scenario);
    }
    [[nodiscard]] std::uint16_t port(const std::string& scenario) const
    {
        const std::string& a = authority(scenario);
        return static_cast<std::uint16_t>(std::stoi(a.substr(a.rfind(':') + 1)));
    }
    // wss://127.0.0.1:PORT/path, or with `host` instead of 127.0.0.1.
    [[nodiscard]] std::string url(const std::string& scenario, const std::string& path,
                                  const std::string& host = "127.0.0.1") const
    {
        return "wss://" + host + ":" + std::to_string(port(scenario)) + path;
    }
    [[nodiscard]] const std::string& plain_authority() const { return plain_authority_; }
    // Names in the order the lab printed them.
    [[nodiscard]] const std::vector<std::string>& order() const { return order_; }
    // A file the lab wrote into its --tls-dir (ca.pem, client.pem, nginx.pem, ...).
    [[nodiscard]] std::string file(const std::string& name) const { return dir_ + "/" + name; }
    [[nodiscard]] std::string lab_stderr() const { return proc_->err(); }

private:
    std::string root_;
    std::string dir_;
    std::unique_ptr<child_process> proc_;
    std::string plain_authority_;
    std::map<std::string, std::string> authorities_;
    std::vector<std::string> order_;
};

// The JSON string at doc[a][b], or "<null>".
inline std::string str_at(const check_json& r, const char* a, const char* b)
{
    std::string_view v;
    if (r.doc[a][b].get(v) != simdjson::SUCCESS) {
        return "<null>";
    }
    return std::string(v);
}

// Every warning of a result, joined by " | ".
inline std::string warnings_of(const check_json& r)
{
    std::string out;
    simdjson::dom::array arr;
    if (r.doc["warnings"].get(arr) != simdjson::SUCCESS) {
        return out;
    }
    for (auto w : arr) {
        std::string_view s;
        if (w.get(s) == simdjson::SUCCESS) {
            out += (out.empty() ? "" : " | ") + std::string(s);
        }
    }
    return out;
}

} // namespace wsp::test
