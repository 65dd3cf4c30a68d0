#include "measure/reflector.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "base/keyed_hash.h"

namespace lineup::measure {

const char* ToString(DropReason reason) {
  switch (reason) {
    case DropReason::kNotAllowed:
      return "not_allowed";
    case DropReason::kTooShort:
      return "too_short";
    case DropReason::kNoAmplify:
      return "no_amplify";
    case DropReason::kTooLong:
      return "too_long";
    case DropReason::kSendFailed:
      return "send_failed";
    case DropReason::kAuthFailed:
      return "auth_failed";
    case DropReason::kOwnAddress:
      return "own_address";
    case DropReason::kNotNegotiated:
      return "not_negotiated";
    case DropReason::kRateLimited:
      return "rate_limited";
    case DropReason::kCount:
      break;
  }
  return "unknown";
}

std::uint64_t ReflectorCounters::DroppedTotal() const {
  std::uint64_t total = 0;
  for (auto n : dropped) total += n;
  return total;
}

std::size_t SenderKeyHash::operator()(const SenderKey& key) const {
  // Address (16 bytes, v4 as v4-mapped), port, SSID: no allocation per packet.
  std::array<std::byte, 20> bytes{};
  const auto raw = Mapped(key.peer.address()).to_bytes();
  for (std::size_t i = 0; i < raw.size(); ++i) bytes[i] = std::byte(raw[i]);
  bytes[16] = std::byte(key.peer.port() >> 8);
  bytes[17] = std::byte(key.peer.port() & 0xff);
  bytes[18] = std::byte(key.ssid >> 8);
  bytes[19] = std::byte(key.ssid & 0xff);
  return static_cast<std::size_t>(SipHash24(ProcessHashKey(), bytes));
}

Result<void> Validate(const ReflectorConfig& config) {
  if (config.reply_dscp && *config.reply_dscp > 63) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("reply DSCP {} is out of range: use 0-63 or 'copy'", *config.reply_dscp));
  }
  if (config.sender_idle_timeout <= Nanos(0)) {
    return Fail(ErrorCode::kInvalidArgument, "the sender idle timeout must be positive");
  }
  if (!(config.max_replies_per_sender >= 0)) {
    return Fail(ErrorCode::kInvalidArgument,
                "the reply limit per sender must be 0 (none) or a positive rate");
  }
  if (config.error_estimate.multiplier == 0) {
    return Fail(ErrorCode::kInvalidArgument, "an Error Estimate multiplier must not be 0");
  }
  return {};
}

ReflectorCore::ReflectorCore(ReflectorConfig config) : config_(std::move(config)) {
  NeverAnswer(config_.never_answer);
  if (config_.only_sender) config_.max_senders = std::min<std::size_t>(config_.max_senders, 1);
}

bool ReflectorCore::IsTheNegotiatedSender(const UdpEndpoint& peer) const {
  const UdpEndpoint& only = *config_.only_sender;
  return Unmapped(peer.address()) == Unmapped(only.address()) &&
         (only.port() == 0 || peer.port() == only.port());
}

void ReflectorCore::NeverAnswer(const std::vector<UdpEndpoint>& endpoints) {
  for (const auto& e : endpoints) {
    if (e.port() == 0) continue;  // not bound yet: no source can claim it
    never_answer_.insert(e);
    // A v4 listener is also reached as ::ffff:a.b.c.d on a dual-stack socket.
    if (e.address().is_v4()) {
      never_answer_.insert(UdpEndpoint(Mapped(e.address()), e.port()));
    }
  }
}

bool ReflectorCore::Allowed(const IpAddress& address) const {
  if (config_.allow.empty()) return true;
  return std::any_of(config_.allow.begin(), config_.allow.end(),
                     [&](const Prefix& p) { return p.Contains(address); });
}

void ReflectorCore::Drop(DropReason reason) {
  ++counters_.dropped[static_cast<std::size_t>(reason)];
}

void ReflectorCore::CountSendFailure() {
  --counters_.reflected;
  Drop(DropReason::kSendFailed);
}

std::optional<ReplyPlan> ReflectorCore::Reflect(ConstByteSpan request, const ReceivedMeta& meta,
                                                ByteSpan reply) {
  ++counters_.received;
  if (!Allowed(meta.peer.address())) {
    Drop(DropReason::kNotAllowed);
    return std::nullopt;
  }
  if (never_answer_.count(meta.peer) != 0) {
    Drop(DropReason::kOwnAddress);
    return std::nullopt;
  }
  if (config_.only_sender && !IsTheNegotiatedSender(meta.peer)) {
    Drop(DropReason::kNotNegotiated);
    return std::nullopt;
  }
  if (meta.truncated) {
    Drop(DropReason::kTooLong);
    return std::nullopt;
  }
  const bool secure = config_.security != nullptr;
  // STAMP answers by length: a request shorter than STAMP's 44 octets is a
  // TWAMP Light probe (41 octets is what most routers send) and gets a TWAMP
  // Light reply of its own length, SSID bytes zero (RFC 8762 §4.6).
  const std::size_t minimum = secure ? kSecureSenderHeaderLength : kSenderHeaderLength;
  if (request.size() < minimum) {
    Drop(DropReason::kTooShort);
    return std::nullopt;
  }
  std::size_t length = request.size();
  Result<SenderPacket> sender;
  if (secure) {
    // A negotiated session: the reply is the secure reflector header at least.
    length = std::max(length, kSecureReflectorHeaderLength);
    std::array<std::byte, kSecureSenderHeaderLength> head;
    std::copy_n(request.begin(), head.size(), head.begin());
    if (!config_.security->Open(head, PacketKind::kSender)) {
      Drop(DropReason::kAuthFailed);
      return std::nullopt;
    }
    sender = DecodeSecureSenderPacket(head);
    if (sender) sender->length = request.size();
  } else {
    if (length < kReflectorHeaderLength) {
      if (!config_.allow_larger_reply) {
        Drop(DropReason::kNoAmplify);
        return std::nullopt;
      }
      length = kReflectorHeaderLength;
    }
    sender = DecodeSenderPacket(request);
  }
  if (!sender) {  // unreachable after the length check; kept as a guard
    Drop(DropReason::kTooShort);
    return std::nullopt;
  }
  const bool stamp = config_.format == ReflectorFormat::kStamp && request.size() >= kStampMinLength;
  const std::uint16_t ssid = stamp ? sender->ssid : 0;

  std::uint32_t sequence = sender->sequence;
  if (config_.stateful) {
    const SenderKey key{meta.peer, ssid};
    auto it = senders_.find(key);
    const double burst = std::max(1.0, config_.max_replies_per_sender / 10);
    if (it == senders_.end() && senders_.size() < config_.max_senders) {
      it = senders_.emplace(key, SenderState{0, 0, 0, meta.receive_time, meta.receive_time, burst})
               .first;
    }
    if (it != senders_.end()) {
      SenderState& state = it->second;
      if (config_.max_replies_per_sender > 0) {
        const double elapsed =
            std::chrono::duration<double>(meta.receive_time - state.last_seen).count();
        state.tokens =
            std::min(burst, state.tokens + std::max(0.0, elapsed) * config_.max_replies_per_sender);
        state.last_seen = std::max(state.last_seen, meta.receive_time);
        if (state.tokens < 1) {
          ++state.received;
          Drop(DropReason::kRateLimited);
          return std::nullopt;
        }
        state.tokens -= 1;
      }
      sequence = state.next_sequence++;
      ++state.received;
      ++state.reflected;
      state.last_seen = meta.receive_time;
    } else {
      ++counters_.senders_over_limit;
    }
  }

  ReflectorPacket packet;
  packet.sequence = sequence;
  packet.error_estimate = config_.error_estimate;
  packet.ssid = ssid;
  packet.receive_timestamp = EncodeTimestamp(meta.receive_time, false);
  packet.sender_sequence = sender->sequence;
  packet.sender_timestamp = sender->timestamp;
  packet.sender_error_estimate = sender->error_estimate;
  packet.sender_ttl = static_cast<std::uint8_t>(meta.ttl < 0 ? 0 : std::min(meta.ttl, 255));
  packet.length = length;
  if (!(secure ? EncodeSecure(packet, reply) : Encode(packet, reply))) {
    Drop(DropReason::kTooShort);
    return std::nullopt;
  }
  ++counters_.reflected;
  if (config_.format == ReflectorFormat::kStamp && !stamp) ++counters_.twamp_light_by_length;

  ReplyPlan plan;
  plan.length = length;
  if (config_.reply_dscp) {
    plan.tos = static_cast<std::uint8_t>(*config_.reply_dscp << 2);
  } else {
    plan.tos =
        static_cast<std::uint8_t>(meta.tos < 0 ? 0 : (meta.tos & 0xfc));  // keep DSCP, not ECN
  }
  return plan;
}

void ReflectorCore::Stamp(ByteSpan reply, NtpTimestamp t3) {
  if (config_.security == nullptr) {
    PatchTimestamp(reply, t3);
    return;
  }
  PatchSecureTimestamp(reply, t3);
  (void)config_.security->Seal(reply, PacketKind::kReflector);  // Reflect checked the length
}

void ReflectorCore::ForgetIdleSenders(WallTime now) {
  const WallTime cutoff = now - config_.sender_idle_timeout;
  std::erase_if(senders_, [&](const auto& entry) { return entry.second.last_seen < cutoff; });
}

}  // namespace lineup::measure
