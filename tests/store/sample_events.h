// Events with every field set, shared by the store tests.
#pragma once

#include "store/events.h"

namespace lineup::store::testing {

inline const WallTime kT0 = FromUnixNanos(1'700'000'000'000'000'000);

inline Event Sample(const std::string& stream, std::uint32_t seq, WallTime t = kT0) {
  ProbeSample p;
  p.sequence = seq;
  p.t1_ns = ToUnixNanos(t);
  p.t2_ns = p.t1_ns + 5'000'123;
  p.t3_ns = p.t2_ns + 30'000;
  p.t4_ns = p.t3_ns + 7'000'456;
  p.reflector_sequence = seq;
  p.ttl_at_reflector = 254;
  p.reply_ttl = 61;
  p.reply_tos = 0xB8;
  p.clocks_synchronized = true;
  return Event{t, stream, p, {}, {}};
}

inline std::vector<Event> OneOfEach() {
  std::vector<Event> out;
  SessionConfigured c{"s1", "192.0.2.1:862", "", 100, 20'000'000, true, 30, 46, 255, true, "{}",
                      ""};
  out.push_back({kT0, "session/s1", c, {}, {}});
  out.push_back({kT0, "session/s1", SessionDeleted{"s1", "removed by operator"}, {}, {}});
  out.push_back(Sample("session/s1", 7));
  RunSummary r;
  r.started_ns = 1;
  r.finished_ns = 2;
  r.sent = 100;
  r.received = 97;
  r.lost = 3;
  r.lost_forward = 2;
  r.lost_backward = 1;
  r.duplicates = 4;
  r.reordered = 5;
  r.late = 6;
  r.one_way_synchronized = true;
  r.forward = {1, 2, 3, 4, 5, 6, 7, 8, 9, 97};
  r.round_trip = {10, 20, 30, 40, 50, 60, 70, 80, 90, 97};
  out.push_back({kT0, "session/s1", r, {}, {}});
  SlaViolated v;
  v.tunnel = "tun-a";
  v.sla_class = "voice";
  v.metric = "rtt_p95";
  v.value = 181.5;
  v.threshold = 150;
  v.detail = "p95 over 30 s";
  out.push_back({kT0, "tunnel/tun-a", v, {}, {}});
  SlaRecovered rec;
  rec.tunnel = "tun-a";
  rec.sla_class = "voice";
  out.push_back({kT0, "tunnel/tun-a", rec, {}, {}});
  TunnelDown down;
  down.tunnel = "tun-b";
  down.consecutive_lost = 5;
  out.push_back({kT0, "tunnel/tun-b", down, {}, {}});
  TunnelUp up;
  up.tunnel = "tun-b";
  out.push_back({kT0, "tunnel/tun-b", up, {}, {}});
  out.push_back({kT0,
                 "class/voice",
                 RankingChanged{"voice", {{"tun-a", 0.93, true}, {"tun-b", 0.41, false}}, {}, {}},
                 {},
                 {}});
  out.push_back({kT0,
                 "class/voice",
                 PathSwitched{"voice", "tun-b", "tun-a", "best", "tun-b loss 4.1% > 1%", {}, {}},
                 {},
                 {}});
  out.push_back({kT0, "policy", PolicyChanged{"default", "classes: {}", {}}, {}, {}});
  return out;
}

}  // namespace lineup::store::testing
