#include <benchmark/benchmark.h>
#include "h2/session.h"
using namespace wsp::h2;
struct duo { client_session c; server_session s; std::vector<std::uint8_t> a, b;
  void pump(){ for(;;){ a.clear(); b.clear(); (void)c.drain_output(a); if(!a.empty()) (void)s.feed(a); (void)s.drain_output(b); if(!b.empty()) (void)c.feed(b);
    while (s.next_event()){} while (c.next_event()){} if(a.empty()&&b.empty()) return; } } };
static duo make(){ return duo{std::move(*client_session::create()), std::move(*server_session::create()), {}, {}}; }
static void BM_extended_connect_handshake(benchmark::State& st){
  duo d = make(); d.pump(); connect_request r; r.authority="example.com"; r.path="/ws"; r.subprotocols={"chat"};
  for (auto _ : st) {
    auto id = d.c.open_websocket(r); if(!id){ st.SkipWithError(std::string(id.error().name()).c_str()); break;} d.pump(); if(!d.s.accept_websocket(*id, "chat")){st.SkipWithError("accept"); break;} d.pump();
    (void)d.c.end_stream(*id); (void)d.s.end_stream(*id); d.pump();
  }
}
BENCHMARK(BM_extended_connect_handshake);
static void BM_data_client_to_server(benchmark::State& st){
  duo d = make(); d.pump(); connect_request r; r.authority="example.com"; r.path="/ws";
  auto id = d.c.open_websocket(r); d.pump(); (void)d.s.accept_websocket(*id); d.pump();
  std::vector<std::uint8_t> chunk(static_cast<std::size_t>(st.range(0)), 0x5a);
  if(!id){st.SkipWithError("open"); return;}
  for (auto _ : st) { auto w = d.c.write(*id, chunk); if(!w){ st.SkipWithError(std::string(w.error().name()).c_str()); break;} d.pump(); }
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * st.range(0));
}
BENCHMARK(BM_data_client_to_server)->Arg(125)->Arg(16384)->Arg(131072);
BENCHMARK_MAIN();
