#include "analyzer/exposure.h"

#include <algorithm>
#include <deque>
#include <optional>

#include "analyzer/mos.h"

namespace lineup::analyzer {

struct ExposureJudge::Line {
  struct PerClass {
    explicit PerClass(SampleWindow w) : window(std::move(w)) {}
    SampleWindow window;
    std::deque<WallTime> bad;  // times of the window's bad samples
    std::vector<Span> spans;   // the last is open while `out`
    bool out = false;
    std::optional<WallTime> good_after_bad;  // while out: the first good sample after the last bad
  };
  std::vector<PerClass> classes;
};

struct ExposureJudge::SessionChains {
  ProbeMaker probes;
};

ExposureJudge::ExposureJudge(std::vector<SlaClass> classes) : classes_(std::move(classes)) {}
ExposureJudge::~ExposureJudge() = default;

namespace {

// A sample that is bad on its own for the class: lost, or over a latency or
// jitter enter value.
bool BadSample(const SlaClass& cls, const Probe& p) {
  if (p.lost) return true;
  for (const auto& th : cls.thresholds) {
    if (th.metric == Metric::kLatency && p.latency_ms > th.enter) return true;
    if (th.metric == Metric::kJitter && p.has_ipdv && p.abs_ipdv_ms > th.enter) return true;
  }
  return false;
}

}  // namespace

bool ExposureJudge::Breaks(const SlaClass& cls, const SampleWindow& w) {
  if (w.size() == 0) return false;
  for (const auto& th : cls.thresholds) {
    switch (th.metric) {
      case Metric::kLoss:
        if (w.LossPercent() > th.enter) return true;
        break;
      case Metric::kLatency:
        if (w.received() > 0 && w.Latency(th.statistic) > th.enter) return true;
        break;
      case Metric::kJitter:
        if (w.ipdv_count() > 0 && w.Jitter() > th.enter) return true;
        break;
      case Metric::kMos:
        if (Mos(w.MeanRoundTrip() / 2, w.Jitter(), w.LossPercent()) < th.enter) return true;
        break;
    }
  }
  return false;
}

void ExposureJudge::Add(const std::string& session, const std::string& tunnel, WallTime at,
                        const store::ProbeSample& sample) {
  auto& chains = sessions_[session];
  if (!chains) chains = std::make_unique<SessionChains>();
  const auto probes = chains->probes.Next(at, sample);
  auto& line = lines_[tunnel];
  if (!line) {
    line = std::make_unique<Line>();
    for (const auto& c : classes_) line->classes.push_back(Line::PerClass{SampleWindow(c.window)});
  }
  for (std::size_t c = 0; c < classes_.size(); ++c) {
    const SlaClass& cls = classes_[c];
    auto& pc = line->classes[c];
    const Probe& probe = probes[static_cast<std::size_t>(cls.latency)];
    pc.window.Add(probe);
    const bool bad_sample = BadSample(cls, probe);
    if (bad_sample) pc.bad.push_back(at);
    while (!pc.bad.empty() && pc.window.size() > 0 && pc.bad.front() < pc.window.oldest())
      pc.bad.pop_front();
    const bool out = Breaks(cls, pc.window);
    if (out && !pc.out) {
      WallTime from = pc.bad.empty() ? at : std::min(pc.bad.front(), at);
      if (!pc.spans.empty()) from = std::max(from, pc.spans.back().to);
      pc.spans.push_back({from, from});
      pc.good_after_bad.reset();
    }
    if (out) {
      if (bad_sample) {
        pc.good_after_bad.reset();
      } else if (!pc.good_after_bad) {
        pc.good_after_bad = at;
      }
      pc.spans.back().to = std::max(pc.spans.back().to, at);
    } else if (pc.out) {
      Span& span = pc.spans.back();
      span.to = std::max(span.from, pc.good_after_bad.value_or(at));
    }
    pc.out = out;
  }
}

void ExposureJudge::Forget(const std::string& session) { sessions_.erase(session); }

std::vector<Span> ExposureJudge::OutOfSla(const std::string& sla_class, const std::string& tunnel,
                                          WallTime end) const {
  auto line = lines_.find(tunnel);
  if (line == lines_.end()) return {};
  for (std::size_t c = 0; c < classes_.size(); ++c) {
    if (classes_[c].name != sla_class) continue;
    const auto& pc = line->second->classes[c];
    std::vector<Span> spans = pc.spans;
    if (pc.out && !spans.empty()) spans.back().to = std::max(spans.back().from, end);
    // Samples of several sessions may come slightly out of time order.
    std::sort(spans.begin(), spans.end(),
              [](const Span& a, const Span& b) { return a.from < b.from; });
    return Union({spans});
  }
  return {};
}

Nanos Overlap(const std::vector<Span>& spans, WallTime from, WallTime to) {
  Nanos total{0};
  auto it = std::lower_bound(spans.begin(), spans.end(), from,
                             [](const Span& s, WallTime t) { return s.to <= t; });
  for (; it != spans.end() && it->from < to; ++it) {
    const WallTime a = std::max(it->from, from);
    const WallTime b = std::min(it->to, to);
    if (b > a) total += b - a;
  }
  return total;
}

std::vector<Span> Union(const std::vector<std::vector<Span>>& lists) {
  std::vector<Span> all;
  for (const auto& l : lists) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end(), [](const Span& a, const Span& b) { return a.from < b.from; });
  std::vector<Span> merged;
  for (const auto& s : all) {
    if (s.to <= s.from) continue;
    if (!merged.empty() && s.from <= merged.back().to) {
      merged.back().to = std::max(merged.back().to, s.to);
    } else {
      merged.push_back(s);
    }
  }
  return merged;
}

}  // namespace lineup::analyzer
