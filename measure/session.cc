#include "measure/session.h"

#include <fmt/format.h>

namespace lineup::measure {

std::string SessionConfig::DisplayName() const {
  return name.empty() ? FormatEndpoint(destination) : name;
}

Result<void> Validate(const SessionConfig& c) {
  auto bad = [&](std::string what) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("session {}: {}", c.DisplayName(), what));
  };
  if (c.destination.port() == 0) return bad("the destination port must not be 0");
  if (c.destination.address().is_unspecified()) {
    return bad("the destination address must not be unspecified (0.0.0.0 or ::)");
  }
  if (c.source && c.source->address().is_v4() != c.destination.address().is_v4() &&
      !c.source->address().is_unspecified()) {
    return bad("the source and destination addresses must both be IPv4 or both IPv6");
  }
  if (c.count < 1 || c.count > 100'000'000) return bad("count must be 1-100000000");
  if (c.interval < std::chrono::microseconds(10) || c.interval > std::chrono::hours(1)) {
    return bad("interval must be between 10us and 1h");
  }
  const std::size_t max_padding = kMaxTestPacketLength - c.HeaderLength();
  const std::size_t min_padding =
      c.negotiated || c.security ? 0 : kReflectorHeaderLength - kSenderHeaderLength;
  if (c.padding < min_padding || c.padding > max_padding) {
    return bad(fmt::format(
        "padding must be {}-{} octets: a reflector answers with no more bytes than it got, "
        "and its reply needs {}",
        min_padding, max_padding, kReflectorHeaderLength));
  }
  if (c.ssid != 0 && c.PacketLength() < kStampMinLength) {
    return bad(fmt::format("an SSID needs padding of at least {} (a 44-byte STAMP packet)",
                           kStampMinLength - kSenderHeaderLength));
  }
  if (c.dscp > 63) return bad(fmt::format("DSCP {} is out of range 0-63", c.dscp));
  if (c.ecn > 3) return bad(fmt::format("ECN {} is out of range 0-3", c.ecn));
  if (c.ttl < 1) return bad("TTL must be 1-255");
  if (c.wait < Nanos(0) || c.wait > std::chrono::minutes(10)) {
    return bad("wait must be between 0 and 10 minutes");
  }
  if (c.error_estimate.multiplier == 0) return bad("an Error Estimate multiplier must not be 0");
  return {};
}

SenderSession::SenderSession(SessionConfig config)
    : config_(std::move(config)), recorder_(config_.dscp), rng_(config_.seed) {}

std::size_t SenderSession::BuildProbe(WallTime t1, ByteSpan out) {
  SenderPacket packet;
  packet.sequence = next_sequence_;
  packet.timestamp = EncodeTimestamp(t1, false);
  packet.error_estimate = config_.error_estimate;
  packet.ssid = config_.ssid;
  packet.length = config_.PacketLength();
  auto written = config_.security ? EncodeSecure(packet, out) : Encode(packet, out);
  if (!written) return 0;  // Validate guarantees a fitting length
  if (config_.security && !config_.security->Seal(out.first(*written), PacketKind::kSender))
    return 0;
  recorder_.OnSent(next_sequence_++, t1);
  return *written;
}

Nanos SenderSession::NextGap() {
  if (config_.interval_kind == IntervalKind::kPeriodic) return config_.interval;
  std::exponential_distribution<double> gap(1.0 / double(config_.interval.count()));
  return Nanos(static_cast<std::int64_t>(gap(rng_)));
}

RunRecorder::Verdict SenderSession::OnDatagram(ConstByteSpan datagram, WallTime t4, int ttl,
                                               int tos) {
  Result<ReflectorPacket> packet;
  if (config_.security) {
    // Only the fixed part is sealed; open a copy of it.
    std::array<std::byte, kSecureReflectorHeaderLength> head;
    if (datagram.size() < head.size()) {
      ++malformed_;
      return RunRecorder::Verdict::kUnexpected;
    }
    std::copy_n(datagram.begin(), head.size(), head.begin());
    if (!config_.security->Open(head, PacketKind::kReflector)) {
      ++malformed_;
      ++auth_failed_;
      return RunRecorder::Verdict::kUnexpected;
    }
    packet = DecodeSecureReflectorPacket(head);
    if (packet) packet->length = datagram.size();
  } else {
    packet = DecodeReflectorPacket(datagram);
  }
  if (!packet) {
    ++malformed_;
    return RunRecorder::Verdict::kUnexpected;
  }
  ProbeReply reply;
  reply.t2 = DecodeTimestamp(packet->receive_timestamp, packet->error_estimate.ptp_format);
  reply.t3 = DecodeTimestamp(packet->timestamp, packet->error_estimate.ptp_format);
  reply.t4 = t4;
  reply.reflector_sequence = packet->sequence;
  reply.ttl_at_reflector = packet->HasSenderTtl() ? packet->sender_ttl : -1;
  if (!packet->HasSenderTtl()) ++short_replies_;
  reply.reply_ttl = ttl;
  reply.reply_tos = tos;
  reply.length = packet->length;
  reply.clocks_synchronized =
      packet->error_estimate.synchronized && packet->sender_error_estimate.synchronized;
  last_reply_sequence_ = packet->sender_sequence;
  return recorder_.OnReply(packet->sender_sequence, reply);
}

Summary SenderSession::WithDrops(Summary s) const {
  s.malformed = malformed_;
  s.short_replies = short_replies_;
  return s;
}

}  // namespace lineup::measure
