// The daemon's figures for Prometheus, built on each scrape from what the
// daemon holds now (so a deleted session's series are gone at the next
// scrape) with prometheus-cpp's registry and text serializer.
//
// Per session: packets sent, received and lost by direction, duplicates
// (counters since the session started in this daemon: rate() over them), the
// round-trip and one-way delay histograms, the last run's mean RTT, jitter
// and loss, and the time of the last measurement (for staleness alerts). Per
// tunnel and SLA class: the judged figures, compliance, score, down/unknown.
// Per traffic class: the current line and the switches. Responders' received,
// reflected and dropped packets; IPFIX export; lineup_build_info; process_*.
#pragma once

#include <string>

#include "daemon/daemon.h"

namespace lineup::daemon {

// The Prometheus text exposition (format 0.0.4).
std::string Metrics(Daemon& daemon);

}  // namespace lineup::daemon
