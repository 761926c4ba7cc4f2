// The c-ares driven resolver: one channel, a slot table of lookups, a deadline heap and a queue of
// completions delivered outside c-ares callbacks. A/AAAA per RFC 1035 §3.4.1 and RFC 3596 §2.1.
#include "engine/dns/resolver.h"

#include <ares.h>
#include <netinet/in.h>
#include <sys/time.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <mutex>

#include "engine/dns/server_list.h"

namespace wsp::dns {

namespace {

constexpr std::int64_t ns_per_ms = 1'000'000;
constexpr std::int64_t min_attempt_timeout_ns = 50 * ns_per_ms;
constexpr int max_tries = 8;
constexpr std::size_t max_address_limit = 256;
constexpr std::size_t max_lookup_limit = std::size_t{1} << 20;

// ares_library_init is reference counted and not thread-safe; on Linux it only sets up state that
// is never torn down, so one process-wide call suffices.
int init_library_once() noexcept
{
    static std::once_flag once;
    static int status = ARES_SUCCESS;
    std::call_once(once, [] { status = ::ares_library_init(ARES_LIB_INIT_ALL); });
    return status;
}

int to_ares_family(address_family family) noexcept
{
    switch (family) {
    case address_family::v4: return AF_INET;
    case address_family::v6: return AF_INET6;
    case address_family::any: return AF_UNSPEC;
    }
    return AF_UNSPEC;
}

bool family_matches(address_family wanted, address_family got) noexcept
{
    return wanted == address_family::any || wanted == got;
}

struct deadline_entry {
    std::int64_t deadline_ns;
    std::uint32_t slot;
    std::uint32_t generation;
};

// std::push_heap builds a max-heap; ordering by "later first" keeps the earliest on top.
bool later(const deadline_entry& a, const deadline_entry& b) noexcept { return a.deadline_ns > b.deadline_ns; }

wsp::expected<int> attempt_timeout_ms(const resolver_options& o) noexcept
{
    std::int64_t ns = o.attempt_timeout_ns;
    if (ns == 0) {
        const std::int64_t rounds = (std::int64_t{1} << o.tries) - 1;
        ns = std::max(o.lookup_timeout_ns / rounds, min_attempt_timeout_ns);
    }
    const std::int64_t ms = (ns + ns_per_ms - 1) / ns_per_ms;
    if (ms <= 0 || ms > INT_MAX) {
        return wsp::fail(errc::bad_option);
    }
    return static_cast<int>(ms);
}

wsp::expected<void> check_options(const resolver_options& o) noexcept
{
    if (o.lookup_timeout_ns <= 0 || o.attempt_timeout_ns < 0 || o.tries < 1 || o.tries > max_tries ||
        o.max_addresses < 1 || o.max_addresses > max_address_limit || o.max_lookups < 1 ||
        o.max_lookups > max_lookup_limit || o.socket_receive_buffer < 0) {
        return wsp::fail(errc::bad_option);
    }
    return {};
}

} // namespace

struct resolver::state {
    struct slot {
        state* owner = nullptr;
        std::uint32_t index = 0;
        std::uint32_t generation = 0;
        // Non-null while the user awaits the outcome; cleared on delivery or cancel.
        lookup_handler* handler = nullptr;
        // c-ares still holds &slot as its callback argument.
        bool ares_pending = false;
        // The outcome is recorded and queued for delivery.
        bool ready = false;
        // The handler is running and may be reading `host` and `addresses`.
        bool delivering = false;
        address_family family = address_family::any;
        std::string host;
        std::vector<resolved_address> addresses;
        wsp::error failure;
    };

    struct ready_entry {
        std::uint32_t slot;
        std::uint32_t generation;
    };

    ares_channel channel = nullptr;
    resolver_options options;
    std::vector<std::unique_ptr<slot>> slots;
    std::vector<std::uint32_t> free_slots;
    std::vector<deadline_entry> deadlines;
    std::vector<ready_entry> ready;
    std::vector<watched_socket> watched;
    std::uint64_t watch_generation = 0;
    std::size_t pending = 0;
    std::size_t in_use = 0;
    bool destroying = false;

    state() = default;
    state(const state&) = delete;
    state& operator=(const state&) = delete;
    ~state();

    static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) noexcept;
    static void on_addrinfo(void* arg, int status, int timeouts, ares_addrinfo* result) noexcept;

    wsp::expected<void> init(const resolver_options& o);
    wsp::expected<lookup_id> start(std::string_view host, address_family family, lookup_handler& handler,
                                   std::int64_t deadline_ns);
    slot& acquire();
    void release(slot& s) noexcept;
    void finish(slot& s, wsp::error failure) noexcept;
    void record_addresses(slot& s, const ares_addrinfo* result) noexcept;
    void expire(std::int64_t now_ns) noexcept;
    void deliver() noexcept;
    void prune_deadlines() noexcept;
    [[nodiscard]] slot* find(lookup_id id) const noexcept;
};

wsp::expected<void> resolver::state::init(const resolver_options& o)
{
    options = o;
    const auto timeout_ms = attempt_timeout_ms(o);
    if (!timeout_ms) {
        return wsp::unexpected(timeout_ms.error());
    }
    std::vector<ares_addr_port_node> servers(o.servers.size());
    for (std::size_t i = 0; i < o.servers.size(); ++i) {
        auto parsed = parse_server(o.servers[i]);
        if (!parsed) {
            return wsp::unexpected(parsed.error());
        }
        ares_addr_port_node& node = servers[i];
        node.next = i + 1 < servers.size() ? &servers[i + 1] : nullptr;
        if (parsed->family() == address_family::v4) {
            node.family = AF_INET;
            node.addr.addr4 = reinterpret_cast<const sockaddr_in*>(&parsed->storage)->sin_addr;
        } else {
            node.family = AF_INET6;
            std::memcpy(&node.addr.addr6, &reinterpret_cast<const sockaddr_in6*>(&parsed->storage)->sin6_addr,
                        sizeof(node.addr.addr6));
        }
        // ares_set_servers_ports takes ports in host byte order.
        node.udp_port = parsed->port();
        node.tcp_port = parsed->port();
    }
    if (const int status = init_library_once(); status != ARES_SUCCESS) {
        return wsp::fail(status == ARES_ENOMEM ? errc::out_of_memory : errc::init_failed);
    }

    ares_options ao{};
    int mask = ARES_OPT_FLAGS | ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
    // c-ares 1.18 treats a SERVFAIL, REFUSED or NOTIMP answer as a dead server and, once every try
    // is used, ends the query with ARES_ECONNREFUSED, hiding what the server said. NOCHECKRESP
    // hands such answers to the lookup, so the RCODE is reported (RFC 1035 §4.1.1) at the cost of
    // not failing over to the next server on them; timeouts and unreachable servers still do.
    ao.flags = ARES_FLAG_NOCHECKRESP;
    ao.sock_state_cb = &state::on_socket_state;
    ao.sock_state_cb_data = this;
    ao.timeout = *timeout_ms;
    ao.tries = o.tries;
    mask |= o.rotate ? ARES_OPT_ROTATE : ARES_OPT_NOROTATE;
    if (o.socket_receive_buffer > 0) {
        mask |= ARES_OPT_SOCK_RCVBUF;
        ao.socket_receive_buffer_size = o.socket_receive_buffer;
    }
    if (const int status = ::ares_init_options(&channel, &ao, mask); status != ARES_SUCCESS) {
        channel = nullptr;
        return wsp::fail(status == ARES_ENOMEM ? errc::out_of_memory : errc::init_failed);
    }
    if (!servers.empty()) {
        if (const int status = ::ares_set_servers_ports(channel, servers.data()); status != ARES_SUCCESS) {
            return wsp::fail(status == ARES_ENOMEM ? errc::out_of_memory : errc::bad_server);
        }
    }
    return {};
}

resolver::state::~state()
{
    destroying = true;
    if (channel != nullptr) {
        // ares_destroy runs on_addrinfo with ARES_EDESTRUCTION for every query still in c-ares and
        // on_socket_state(fd, 0, 0) for every open socket, so no slot is referenced afterwards.
        ::ares_destroy(channel);
        channel = nullptr;
    }
    for (auto& s : slots) {
        if (s->handler != nullptr) {
            lookup_handler* handler = s->handler;
            s->handler = nullptr;
            const lookup_outcome outcome{lookup_id{s->index, s->generation}, s->host, s->family,
                                         wsp::fail(errc::cancelled)};
            handler->on_lookup_done(outcome);
        }
    }
}

void resolver::state::on_socket_state(void* data, ares_socket_t fd, int readable, int writable) noexcept
{
    auto* self = static_cast<state*>(data);
    const watched_socket entry{fd, readable != 0, writable != 0};
    auto it = std::find_if(self->watched.begin(), self->watched.end(),
                           [fd](const watched_socket& w) { return w.fd == fd; });
    if (entry.readable || entry.writable) {
        if (it == self->watched.end()) {
            self->watched.push_back(entry);
        } else {
            *it = entry;
        }
    } else if (it != self->watched.end()) {
        *it = self->watched.back();
        self->watched.pop_back();
    }
    ++self->watch_generation;
    if (self->options.watcher != nullptr) {
        self->options.watcher->on_watch_changed(entry);
    }
}

void resolver::state::on_addrinfo(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) noexcept
{
    auto* s = static_cast<slot*>(arg);
    state& self = *s->owner;
    s->ares_pending = false;
    if (s->handler != nullptr && !s->ready) {
        if (status == ARES_SUCCESS) {
            self.record_addresses(*s, result);
        } else {
            self.finish(*s, from_ares_status(status));
        }
    } else if (s->handler == nullptr && !s->delivering) {
        // Cancelled or already timed out: the slot only waited for c-ares to let go of it.
        self.release(*s);
    }
    if (result != nullptr) {
        ::ares_freeaddrinfo(result);
    }
}

void resolver::state::record_addresses(slot& s, const ares_addrinfo* result) noexcept
{
    s.addresses.clear();
    for (const ares_addrinfo_node* n = result != nullptr ? result->nodes : nullptr; n != nullptr; n = n->ai_next) {
        if (s.addresses.size() >= options.max_addresses) {
            break;
        }
        const auto address = from_sockaddr(n->ai_addr, n->ai_addrlen);
        if (!address || !family_matches(s.family, address->family())) {
            continue;
        }
        // /etc/hosts may list an address twice, and c-ares repeats it per socket type.
        if (std::find(s.addresses.begin(), s.addresses.end(), *address) != s.addresses.end()) {
            continue;
        }
        s.addresses.push_back(*address);
    }
    if (s.addresses.empty()) {
        finish(s, errc::no_data);
        return;
    }
    const address_family first =
        options.preference == address_preference::ipv4_first ? address_family::v4 : address_family::v6;
    std::stable_partition(s.addresses.begin(), s.addresses.end(),
                          [first](const resolved_address& a) { return a.family() == first; });
    finish(s, wsp::error{});
}

void resolver::state::finish(slot& s, wsp::error failure) noexcept
{
    s.failure = failure;
    s.ready = true;
    ready.push_back(ready_entry{s.index, s.generation});
}

resolver::state::slot& resolver::state::acquire()
{
    if (free_slots.empty()) {
        auto s = std::make_unique<slot>();
        s->owner = this;
        s->index = static_cast<std::uint32_t>(slots.size());
        slots.push_back(std::move(s));
        free_slots.push_back(slots.back()->index);
    }
    slot& s = *slots[free_slots.back()];
    free_slots.pop_back();
    ++in_use;
    // Generation 0 is never issued, so lookup_id{} is always invalid.
    s.generation = s.generation == UINT32_MAX ? 1 : s.generation + 1;
    s.ready = false;
    s.failure = wsp::error{};
    s.addresses.clear();
    return s;
}

void resolver::state::release(slot& s) noexcept
{
    // free_slots never outgrows slots, and reserve() at growth time keeps push_back from throwing.
    free_slots.push_back(s.index);
    --in_use;
}

wsp::expected<lookup_id> resolver::state::start(std::string_view host, address_family family,
                                                lookup_handler& handler, std::int64_t deadline_ns)
{
    if (destroying) {
        return wsp::fail(errc::cancelled);
    }
    const auto literal = parse_numeric_address(host);
    // RFC 1123 §2.1: anything that is not an address literal must be a syntactically valid name.
    if (!literal && !is_valid_host_name(host)) {
        return wsp::fail(errc::bad_name);
    }
    if (in_use >= options.max_lookups) {
        return wsp::fail(errc::too_many_lookups);
    }
    if (free_slots.empty()) {
        free_slots.reserve(slots.size() + 1);
    }
    slot& s = acquire();
    s.handler = &handler;
    s.family = family;
    s.host.assign(host);
    ++pending;
    deadlines.push_back(deadline_entry{deadline_ns, s.index, s.generation});
    std::push_heap(deadlines.begin(), deadlines.end(), later);
    const lookup_id id{s.index, s.generation};

    if (literal) {
        // A literal is its own answer (RFC 3493 §6.1 AI_NUMERICHOST behaviour); no query is sent.
        if (family_matches(family, literal->family())) {
            s.addresses.push_back(*literal);
            finish(s, wsp::error{});
        } else {
            finish(s, errc::no_data);
        }
        return id;
    }
    ares_addrinfo_hints hints{};
    // We order results ourselves; c-ares' RFC 6724 sort would connect a UDP socket per address.
    hints.ai_flags = ARES_AI_NOSORT;
    hints.ai_family = to_ares_family(family);
    s.ares_pending = true;
    // May call on_addrinfo before returning (hosts file, bad name, no memory); that only queues.
    ::ares_getaddrinfo(channel, s.host.c_str(), nullptr, &hints, &state::on_addrinfo, &s);
    return id;
}

resolver::state::slot* resolver::state::find(lookup_id id) const noexcept
{
    if (!id.valid() || id.slot >= slots.size()) {
        return nullptr;
    }
    slot* s = slots[id.slot].get();
    return s->generation == id.generation ? s : nullptr;
}

void resolver::state::expire(std::int64_t now_ns) noexcept
{
    while (!deadlines.empty() && deadlines.front().deadline_ns <= now_ns) {
        const deadline_entry top = deadlines.front();
        std::pop_heap(deadlines.begin(), deadlines.end(), later);
        deadlines.pop_back();
        slot* s = find(lookup_id{top.slot, top.generation});
        if (s != nullptr && s->handler != nullptr && !s->ready) {
            // The c-ares query keeps its slot until it ends; only the user stops waiting.
            finish(*s, errc::timeout);
        }
    }
}

void resolver::state::deliver() noexcept
{
    // Handlers may start lookups that complete at once; those wait for the next round so one call
    // does bounded work.
    const std::size_t count = ready.size();
    for (std::size_t i = 0; i < count; ++i) {
        const ready_entry entry = ready[i];
        slot* s = find(lookup_id{entry.slot, entry.generation});
        if (s == nullptr || s->handler == nullptr || !s->ready) {
            continue;
        }
        lookup_handler* handler = s->handler;
        s->handler = nullptr;
        s->delivering = true;
        --pending;
        lookup_outcome outcome{lookup_id{s->index, s->generation}, s->host, s->family,
                               std::span<const resolved_address>(s->addresses)};
        if (s->failure) {
            outcome.addresses = wsp::unexpected(s->failure);
        }
        handler->on_lookup_done(outcome);
        s->delivering = false;
        if (!s->ares_pending) {
            release(*s);
        }
    }
    ready.erase(ready.begin(), ready.begin() + static_cast<std::ptrdiff_t>(count));
    prune_deadlines();
}

void resolver::state::prune_deadlines() noexcept
{
    while (!deadlines.empty()) {
        const slot* s = find(lookup_id{deadlines.front().slot, deadlines.front().generation});
        if (s != nullptr && s->handler != nullptr && !s->ready) {
            return;
        }
        std::pop_heap(deadlines.begin(), deadlines.end(), later);
        deadlines.pop_back();
    }
}

resolver::resolver(std::unique_ptr<state> s) noexcept : state_(std::move(s)) {}
resolver::resolver(resolver&& other) noexcept = default;
resolver& resolver::operator=(resolver&& other) noexcept = default;
resolver::~resolver() = default;

wsp::expected<resolver> resolver::create(const resolver_options& options)
{
    if (auto ok = check_options(options); !ok) {
        return wsp::unexpected(ok.error());
    }
    auto s = std::make_unique<state>();
    if (auto ok = s->init(options); !ok) {
        return wsp::unexpected(ok.error());
    }
    return resolver(std::move(s));
}

wsp::expected<lookup_id> resolver::start(std::string_view host, address_family family, lookup_handler& handler,
                                         std::int64_t now_ns)
{
    return start(host, family, handler, now_ns, state_->options.lookup_timeout_ns);
}

wsp::expected<lookup_id> resolver::start(std::string_view host, address_family family, lookup_handler& handler,
                                         std::int64_t now_ns, std::int64_t timeout_ns)
{
    if (timeout_ns <= 0 || now_ns > INT64_MAX - timeout_ns) {
        return wsp::fail(errc::bad_option);
    }
    return state_->start(host, family, handler, now_ns + timeout_ns);
}

bool resolver::cancel(lookup_id id) noexcept
{
    state::slot* s = state_->find(id);
    if (s == nullptr || s->handler == nullptr || state_->destroying) {
        return false;
    }
    s->handler = nullptr;
    s->ready = false;
    --state_->pending;
    if (!s->ares_pending) {
        state_->release(*s);
    }
    state_->prune_deadlines();
    return true;
}

std::span<const watched_socket> resolver::watched_sockets() const noexcept { return state_->watched; }

std::uint64_t resolver::watch_generation() const noexcept { return state_->watch_generation; }

void resolver::process(int fd, bool readable, bool writable) noexcept
{
    ::ares_process_fd(state_->channel, readable ? fd : ARES_SOCKET_BAD, writable ? fd : ARES_SOCKET_BAD);
    state_->deliver();
}

void resolver::process_timeouts(std::int64_t now_ns) noexcept
{
    ::ares_process_fd(state_->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    state_->expire(now_ns);
    state_->deliver();
}

std::optional<std::int64_t> resolver::next_deadline(std::int64_t now_ns) const noexcept
{
    if (!state_->ready.empty()) {
        return now_ns;
    }
    std::optional<std::int64_t> due;
    if (!state_->deadlines.empty()) {
        due = state_->deadlines.front().deadline_ns;
    }
    timeval tv{};
    // c-ares measures its retry timers with its own clock; only the remaining delay is used here.
    if (::ares_timeout(state_->channel, nullptr, &tv) != nullptr) {
        const std::int64_t delay = std::int64_t{tv.tv_sec} * 1'000'000'000 + std::int64_t{tv.tv_usec} * 1'000;
        due = due ? std::min(*due, now_ns + delay) : now_ns + delay;
    }
    return due;
}

std::size_t resolver::pending() const noexcept { return state_->pending; }

std::size_t resolver::slots_in_use() const noexcept { return state_->in_use; }

} // namespace wsp::dns
