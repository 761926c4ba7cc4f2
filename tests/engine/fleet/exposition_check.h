// A strict reader of the Prometheus text format 0.0.4 for tests: every sample line parses, every
// family has HELP and TYPE before its samples, and no family is split or repeated.
#pragma once

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace wsp::fleet::test {

struct exposition {
    std::map<std::string, std::string> types; // family -> type
    std::map<std::string, double> samples;    // "name{labels}" -> value
    std::string problem;                      // empty when well-formed
};

inline std::string family_of(const std::string& name, const std::map<std::string, std::string>& types)
{
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        const std::string s(suffix);
        if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
            const std::string base = name.substr(0, name.size() - s.size());
            auto it = types.find(base);
            if (it != types.end() && it->second == "histogram") {
                return base;
            }
        }
    }
    return name;
}

inline exposition read_exposition(const std::string& text)
{
    static const std::regex sample_re(
        R"re(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\[\\"n]|[^\\"\n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\[\\"n]|[^\\"\n])*")*)?\})? (\S+))re");
    exposition out;
    std::set<std::string> helped;
    std::set<std::string> finished;
    std::string current;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("# HELP ", 0) == 0) {
            helped.insert(line.substr(7, line.find(' ', 7) - 7));
            continue;
        }
        if (line.rfind("# TYPE ", 0) == 0) {
            const auto name = line.substr(7, line.find(' ', 7) - 7);
            if (out.types.count(name) != 0) {
                out.problem = "family typed twice: " + name;
                return out;
            }
            out.types[name] = line.substr(line.find(' ', 7) + 1);
            continue;
        }
        std::smatch m;
        if (!std::regex_match(line, m, sample_re)) {
            out.problem = "bad line: " + line;
            return out;
        }
        const std::string family = family_of(m[1].str(), out.types);
        if (out.types.count(family) == 0 || helped.count(family) == 0) {
            out.problem = "sample before HELP/TYPE: " + line;
            return out;
        }
        if (family != current) {
            if (finished.count(family) != 0) {
                out.problem = "family split: " + family;
                return out;
            }
            if (!current.empty()) {
                finished.insert(current);
            }
            current = family;
        }
        const std::string key = m[1].str() + m[2].str();
        if (out.samples.count(key) != 0) {
            out.problem = "duplicate series: " + key;
            return out;
        }
        const std::string v = m[7].str();
        out.samples[key] = v == "+Inf" ? 1e300 : std::stod(v);
    }
    return out;
}

} // namespace wsp::fleet::test
