// Opt-in client session cache (RFC 8446 §2.2 resumption): a small insertion-ordered vector.
#include "tls/session_cache.h"

#include <algorithm>

#include <openssl/ssl.h>

namespace wsp::tls {

session_cache::session_cache(session_cache&& other) noexcept
    : max_entries_(other.max_entries_), entries_(std::move(other.entries_))
{
    other.entries_.clear();
}

session_cache& session_cache::operator=(session_cache&& other) noexcept
{
    if (this != &other) {
        clear();
        max_entries_ = other.max_entries_;
        entries_ = std::move(other.entries_);
        other.entries_.clear();
    }
    return *this;
}

session_cache::~session_cache() { clear(); }

void session_cache::put(std::string_view key, SSL_SESSION* sess)
{
    if (sess == nullptr) {
        return;
    }
    erase(key);
    if (max_entries_ == 0) {
        SSL_SESSION_free(sess);
        return;
    }
    if (entries_.size() >= max_entries_) {
        SSL_SESSION_free(entries_.front().session);
        entries_.erase(entries_.begin());
    }
    entries_.push_back(entry{std::string(key), sess});
}

SSL_SESSION* session_cache::find(std::string_view key) const noexcept
{
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const entry& e) { return e.key == key; });
    return it == entries_.end() ? nullptr : it->session;
}

void session_cache::erase(std::string_view key) noexcept
{
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const entry& e) { return e.key == key; });
    if (it != entries_.end()) {
        SSL_SESSION_free(it->session);
        entries_.erase(it);
    }
}

void session_cache::clear() noexcept
{
    for (auto& e : entries_) {
        SSL_SESSION_free(e.session);
    }
    entries_.clear();
}

} // namespace wsp::tls
