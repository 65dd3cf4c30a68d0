#include "cli/event_json.h"

#include "base/time_text.h"
#include "report/run_summary_json.h"

namespace lineup::cli {
namespace {

using nlohmann::json;

json Data(const store::Payload& payload) {
  return std::visit(
      [](const auto& p) -> json {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, store::ProbeSample>) {
          json j = {{"seq", p.sequence}, {"t1_unix_ns", p.t1_ns}, {"lost", p.lost}};
          if (!p.lost) {
            j.update({{"t2_unix_ns", p.t2_ns},
                      {"t3_unix_ns", p.t3_ns},
                      {"t4_unix_ns", p.t4_ns},
                      {"outbound_ns", p.t2_ns - p.t1_ns},
                      {"inbound_ns", p.t4_ns - p.t3_ns},
                      {"round_trip_ns", (p.t2_ns - p.t1_ns) + (p.t4_ns - p.t3_ns)},
                      {"reflector_seq", p.reflector_sequence},
                      {"ttl_at_reflector", p.ttl_at_reflector},
                      {"reply_ttl", p.reply_ttl},
                      {"reply_tos", p.reply_tos},
                      {"clocks_synchronized", p.clocks_synchronized}});
          }
          return j;
        } else if constexpr (std::is_same_v<T, store::RunSummary>) {
          return report::RunSummaryJson(p);
        } else if constexpr (std::is_same_v<T, store::SessionConfigured>) {
          return {{"session", p.session},
                  {"destination", p.destination},
                  {"source", p.source},
                  {"count", p.count},
                  {"interval_ns", p.interval_ns},
                  {"poisson", p.poisson},
                  {"padding", p.padding},
                  {"dscp", p.dscp},
                  {"ttl", p.ttl},
                  {"dont_fragment", p.dont_fragment},
                  {"settings", p.settings},
                  {"tunnel", p.tunnel}};
        } else if constexpr (std::is_same_v<T, store::SessionDeleted>) {
          return {{"session", p.session}, {"reason", p.reason}};
        } else if constexpr (std::is_base_of_v<store::SlaChange, T>) {
          return {{"tunnel", p.tunnel}, {"sla_class", p.sla_class}, {"metric", p.metric},
                  {"value", p.value},   {"threshold", p.threshold}, {"detail", p.detail}};
        } else if constexpr (std::is_base_of_v<store::TunnelState, T>) {
          return {
              {"tunnel", p.tunnel}, {"consecutive_lost", p.consecutive_lost}, {"detail", p.detail}};
        } else if constexpr (std::is_base_of_v<store::SessionFaultState, T>) {
          return {{"session", p.session},
                  {"tunnel", p.tunnel},
                  {"consecutive_lost", p.consecutive_lost},
                  {"detail", p.detail}};
        } else if constexpr (std::is_same_v<T, store::RankingChanged>) {
          json ranking = json::array();
          for (std::size_t i = 0; i < p.ranking.size(); ++i) {
            const auto& t = p.ranking[i];
            json r = {{"tunnel", t.tunnel}, {"score", t.score}, {"compliant", t.compliant}};
            if (i < p.evidence.size()) {
              const auto& ev = p.evidence[i];
              r["loss_low_percent"] = ev.loss_low_percent;
              r["loss_high_percent"] = ev.loss_high_percent;
              r["samples"] = ev.samples;
              r["unknown"] = ev.unknown;
            }
            ranking.push_back(std::move(r));
          }
          return {{"sla_class", p.sla_class}, {"ranking", ranking}};
        } else if constexpr (std::is_same_v<T, store::PathSwitched>) {
          json weights = json::object();
          for (const auto& w : p.weights) weights[w.tunnel] = w.weight;
          return {{"traffic_class", p.traffic_class},
                  {"from", p.from},
                  {"to", p.to},
                  {"rule", p.rule},
                  {"reason", p.reason},
                  {"weights", weights},
                  {"path", p.path}};
        } else {
          json out = {{"name", p.name}, {"document", p.document}};
          // v2 records carry the policy as data; replay reads that, not the text.
          out["structured"] = p.policy.has_value();
          if (p.policy) {
            json sla = json::array(), classes = json::array();
            for (const auto& c : p.policy->sla_classes) sla.push_back(c.name);
            for (const auto& c : p.policy->classes) classes.push_back(c.name);
            out["sla_classes"] = sla;
            out["traffic_classes"] = classes;
          }
          return out;
        }
      },
      payload);
}

}  // namespace

json EventJson(const store::RecordedEvent& e) {
  json j = {{"position", e.position},           {"revision", e.revision},
            {"time", FormatTime(e.event.time)}, {"time_unix_ns", ToUnixNanos(e.event.time)},
            {"stream", e.event.stream},         {"type", store::ToString(e.event.type())},
            {"data", Data(e.event.payload)}};
  if (!e.event.event_id.empty()) j["event_id"] = e.event.event_id;
  return j;
}

}  // namespace lineup::cli
