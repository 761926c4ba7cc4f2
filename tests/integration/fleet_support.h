// Test support for `wsprobe run` / `serve`: config files in a scratch directory, JSON-lines
// parsing, and a plain-socket HTTP GET for /metrics and /probe.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <simdjson.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace wsp::test {

// A directory under the build tree, emptied on creation.
inline std::filesystem::path scratch_dir(const std::string& name)
{
    const char* build = std::getenv("WSP_BUILD_DIR");
    std::filesystem::path p =
        std::filesystem::path(build != nullptr ? build : "/tmp") / "fleet_scratch" / name;
    std::filesystem::remove_all(p);
    std::filesystem::create_directories(p);
    return p;
}

inline void write_file(const std::filesystem::path& p, const std::string& text)
{
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

inline std::string read_file(const std::filesystem::path& p)
{
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// One parsed JSON line: the fields tests look at.
struct fleet_event {
    std::string event; // "result" or "state_change"
    std::string check;
    std::string status; // result: result.status; state_change: "to"
    std::string from;   // state_change: "from" or "null"
    std::string code;
    std::string message;
};

inline std::vector<fleet_event> parse_events(const std::string& text)
{
    std::vector<fleet_event> out;
    simdjson::dom::parser parser;
    std::istringstream lines(text);
    std::string line;
    const auto str = [](simdjson::dom::element e, const char* k) {
        std::string_view v;
        return e[k].get(v) == simdjson::SUCCESS ? std::string(v) : std::string("null");
    };
    while (std::getline(lines, line)) {
        simdjson::dom::element doc;
        if (line.empty() || parser.parse(line).get(doc) != simdjson::SUCCESS) {
            continue;
        }
        fleet_event e;
        e.event = str(doc, "event");
        e.check = str(doc, "check");
        if (e.event == "result") {
            e.status = str(doc["result"], "status");
            e.code = str(doc["result"], "code");
            e.message = str(doc["result"], "message");
        } else if (e.event == "state_change") {
            e.status = str(doc, "to");
            e.from = str(doc, "from");
            e.code = str(doc, "code");
            e.message = str(doc, "message");
        } else {
            continue;
        }
        out.push_back(std::move(e));
    }
    return out;
}

// Sends `bytes` to 127.0.0.1:port (half-closing afterwards when asked) and returns whatever
// comes back before the server closes or `timeout_s` passes without data. Empty on connection
// failure.
inline std::string exchange_bytes(std::uint16_t port, const std::string& bytes, bool half_close, long timeout_s)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{timeout_s, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return {};
    }
    (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (half_close) {
        ::shutdown(fd, SHUT_WR);
    }
    std::string out;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            break;
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

// GET `target` from 127.0.0.1:port (one request); the whole response, head and body.
inline std::string http_get(std::uint16_t port, const std::string& target,
                            const std::string& extra_headers = {})
{
    return exchange_bytes(port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers + "\r\n",
                          false, 20);
}

// Sends raw bytes, half-closes, and returns whatever comes back before the server closes.
inline std::string http_raw(std::uint16_t port, const std::string& bytes)
{
    return exchange_bytes(port, bytes, true, 10);
}

// The port from the `{"event":"listening","address":"127.0.0.1:PORT"}` line.
inline std::uint16_t listening_port(const std::string& line)
{
    const auto colon = line.rfind(':');
    return colon == std::string::npos ? 0 : static_cast<std::uint16_t>(std::atoi(line.c_str() + colon + 1));
}

} // namespace wsp::test
