// A small HTML5 well-formedness checker for the report tests: tags balance (void elements and
// SVG's self-closing tags excepted), no raw '<' in text, attributes quoted; collects the id of
// every element and the `points` of each polyline under each <svg id=...>.
#pragma once

#include <cctype>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace wsp::load::test {

struct html_facts {
    std::string error; // empty when well-formed
    std::set<std::string> ids;
    std::map<std::string, std::vector<std::string>> polylines; // svg id -> points of each polyline
    std::map<std::string, int> circles;                        // svg id -> number of <circle>
    std::map<std::string, int> tag_counts;
};

inline html_facts check_html(std::string_view h)
{
    html_facts f;
    static const std::set<std::string> void_tags = {"meta", "link", "br", "hr", "img", "input"};
    std::vector<std::string> open;
    std::string svg_id;
    std::size_t i = 0;
    const auto fail = [&](std::string why) {
        f.error = why + " at offset " + std::to_string(i) + ": " + std::string(h.substr(i, 60));
        return f;
    };
    while (i < h.size()) {
        const auto lt = h.find('<', i);
        if (lt == std::string_view::npos) {
            break;
        }
        i = lt;
        if (h.substr(i, 4) == "<!--") {
            const auto end = h.find("-->", i);
            if (end == std::string_view::npos) {
                return fail("unterminated comment");
            }
            i = end + 3;
            continue;
        }
        if (h.substr(i, 2) == "<!") {
            i = h.find('>', i) + 1;
            continue;
        }
        const bool closing = h.substr(i, 2) == "</";
        std::size_t j = i + (closing ? 2 : 1);
        std::string name;
        while (j < h.size() && (std::isalnum(static_cast<unsigned char>(h[j])) || h[j] == '-')) {
            name += static_cast<char>(std::tolower(static_cast<unsigned char>(h[j])));
            ++j;
        }
        if (name.empty()) {
            return fail("raw '<' in text");
        }
        // Attributes: name="value" pairs; a quote protects '>' and '/'.
        std::string id;
        bool self_closing = false;
        while (j < h.size() && h[j] != '>') {
            if (h[j] == '"' || h[j] == '\'') {
                const auto q = h.find(h[j], j + 1);
                if (q == std::string_view::npos) {
                    return fail("unterminated attribute value");
                }
                j = q + 1;
                continue;
            }
            if (h.substr(j, 4) == "id=\"" && (h[j - 1] == ' ')) {
                const auto q = h.find('"', j + 4);
                id = std::string(h.substr(j + 4, q - j - 4));
            }
            if (h.substr(j, 2) == "/>") {
                self_closing = true;
            }
            if (h[j] == '=' && j + 1 < h.size() && h[j + 1] != '"' && h[j + 1] != '\'') {
                return fail("unquoted attribute value");
            }
            ++j;
        }
        if (j >= h.size()) {
            return fail("unterminated tag");
        }
        const auto tag_text = h.substr(i, j + 1 - i);
        if (closing) {
            if (open.empty() || open.back() != name) {
                return fail("</" + name + "> closes <" +
                            (open.empty() ? std::string("nothing") : open.back()) + ">");
            }
            open.pop_back();
            if (name == "svg") {
                svg_id.clear();
            }
        } else {
            ++f.tag_counts[name];
            if (!id.empty() && !f.ids.insert(id).second) {
                return fail("duplicate id " + id);
            }
            if (name == "svg") {
                svg_id = id;
            }
            if (name == "polyline" && !svg_id.empty()) {
                const auto p = tag_text.find("points=\"");
                const auto q = p == std::string_view::npos ? p : tag_text.find('"', p + 8);
                f.polylines[svg_id].emplace_back(
                    p == std::string_view::npos ? "" : tag_text.substr(p + 8, q - p - 8));
            }
            if (name == "circle" && !svg_id.empty()) {
                ++f.circles[svg_id];
            }
            if (!self_closing && void_tags.count(name) == 0) {
                open.push_back(name);
            }
        }
        i = j + 1;
        // Raw text elements: skip to their end tag.
        if (!closing && (name == "style" || name == "script")) {
            const auto end = h.find("</" + name, i);
            if (end == std::string_view::npos) {
                return fail("unterminated <" + name + ">");
            }
            i = end;
        }
    }
    if (!open.empty()) {
        f.error = "unclosed <" + open.back() + ">";
    }
    return f;
}

} // namespace wsp::load::test
