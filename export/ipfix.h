// IPFIX (RFC 7011) export of each run's summary to collectors over UDP
// (templates refreshed on a timer) or TCP (templates once per connection).
// The encoder is pure functions over bytes; the exporter sends on a thread
// of its own behind a bounded queue, so an unreachable collector never holds
// up measurement (what does not fit is dropped and counted).
//
// Two templates, 256 (IPv4 ends) and 257 (IPv6 ends), with standard
// information elements where they fit and enterprise-specific ones (PEN
// 32473 by default, the documentation PEN of RFC 5612) for the figures:
//
//   flowStartMilliseconds (152), flowEndMilliseconds (153)   the run
//   source/destinationIPv4Address (8/12) or IPv6 (27/28)     the ends
//   sourceTransportPort (7), destinationTransportPort (11)
//   protocolIdentifier (4) = 17, ipDiffServCodePoint (195)
//   packetDeltaCount (2)                                     packets sent
//   PEN/1  packetsReceived           unsigned64
//   PEN/2  packetsLost               unsigned64
//   PEN/3  packetsLostOutbound       unsigned64 (all ones: unknown)
//   PEN/4  packetsLostInbound        unsigned64 (all ones: unknown)
//   PEN/5  rttMeanNanoseconds        unsigned64
//   PEN/6  rttMinNanoseconds         unsigned64
//   PEN/7  rttMaxNanoseconds         unsigned64
//   PEN/8  rttP95Nanoseconds         unsigned64
//   PEN/9  jitterNanoseconds         unsigned64 (mean |IPDV|, round trip)
//   PEN/10 outboundDelayMeanNanoseconds  signed64 (needs synchronized clocks)
//   PEN/11 inboundDelayMeanNanoseconds   signed64
//   PEN/12 lossRatio                 float64 (0-1)
//   PEN/13 sessionName               string (variable length)
//   PEN/14 tunnelName                string (variable length)
//
// With the templates go RFC 5610 Information Element Type Records (options
// template 258) naming and typing those elements, so a collector shows them
// by name (ipfixDump --rfc5610 does).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "measure/endpoint.h"
#include "measure/metrics.h"

namespace lineup::daemon {

inline constexpr std::uint32_t kDocumentationPen = 32473;
inline constexpr std::uint16_t kTemplateV4 = 256, kTemplateV6 = 257;
// RFC 5610 Information Element Type Records, sent with the templates.
inline constexpr std::uint16_t kTypeTemplate = 258;

struct RunRecord {
  WallTime started, finished;
  measure::UdpEndpoint source, destination;
  std::uint8_t dscp = 0;
  measure::Summary summary;
  std::string session, tunnel;
};

// A whole IPFIX message: header, then the template set (when `templates`),
// then one data set per template used. `sequence` is the number of data
// records sent before in this observation domain.
std::vector<std::byte> EncodeMessage(const std::vector<RunRecord>& records, bool templates,
                                     std::uint32_t sequence, std::uint32_t domain,
                                     WallTime export_time, std::uint32_t pen = kDocumentationPen);

struct CollectorConfig {
  measure::UdpEndpoint address;  // the collector
  bool tcp = false;
  Nanos template_refresh = std::chrono::seconds(60);  // UDP
  std::uint32_t observation_domain = 1;
  std::uint32_t pen = kDocumentationPen;
  std::string Describe() const;
};

struct ExporterCounters {
  std::uint64_t records_sent = 0;
  std::uint64_t messages_sent = 0;
  std::uint64_t records_dropped = 0;  // queue full, or the collector unreachable
  std::uint64_t connects = 0;         // TCP
  std::string last_error;
};

class Exporter {
 public:
  // Export Time and the retry back-off read `clock`, which must outlive the
  // exporter.
  [[nodiscard]] static Result<std::unique_ptr<Exporter>> Start(CollectorConfig config,
                                                               const Clock& clock);
  virtual ~Exporter() = default;
  // Never blocks: queues the record (or drops the oldest when full).
  virtual void Export(RunRecord record) = 0;
  virtual ExporterCounters Counters() const = 0;
  virtual const CollectorConfig& config() const = 0;
};

}  // namespace lineup::daemon
