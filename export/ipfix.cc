#include "export/ipfix.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "base/bytes.h"

namespace lineup::daemon {
namespace {

constexpr std::uint16_t kVariable = 0xFFFF;

struct Field {
  std::uint16_t id;
  std::uint16_t length;
  bool enterprise;
};

std::vector<Field> Fields(bool v6) {
  return {
      {152, 8, false},  // flowStartMilliseconds
      {153, 8, false},  // flowEndMilliseconds
      {static_cast<std::uint16_t>(v6 ? 27 : 8), static_cast<std::uint16_t>(v6 ? 16 : 4), false},
      {static_cast<std::uint16_t>(v6 ? 28 : 12), static_cast<std::uint16_t>(v6 ? 16 : 4), false},
      {7, 2, false},    // sourceTransportPort
      {11, 2, false},   // destinationTransportPort
      {4, 1, false},    // protocolIdentifier
      {195, 1, false},  // ipDiffServCodePoint
      {2, 8, false},    // packetDeltaCount
      {1, 8, true},
      {2, 8, true},
      {3, 8, true},
      {4, 8, true},
      {5, 8, true},
      {6, 8, true},
      {7, 8, true},
      {8, 8, true},
      {9, 8, true},
      {10, 8, true},
      {11, 8, true},
      {12, 8, true},
      {13, kVariable, true},
      {14, kVariable, true},
  };
}

// Our enterprise-specific elements, described in-band by RFC 5610 type
// records so that collectors (and ipfixDump --rfc5610) know their names.
struct Element {
  std::uint16_t id;
  std::uint8_t type;  // IANA abstract data type: 4 unsigned64, 8 signed64, 10 float64, 13 string
  std::uint8_t semantics;  // 0 default, 1 quantity, 3 deltaCounter
  std::uint16_t units;     // 0 none, 3 packets, 8 nanoseconds
  const char* name;
  const char* description;
};
constexpr Element kElements[] = {
    {1, 4, 3, 3, "packetsReceived", "Test packets answered in the run"},
    {2, 4, 3, 3, "packetsLost", "Test packets lost in the run (never negative)"},
    {3, 4, 3, 3, "packetsLostOutbound", "Lost on the way out (all ones: unknown)"},
    {4, 4, 3, 3, "packetsLostInbound", "Lost on the way back (all ones: unknown)"},
    {5, 4, 1, 8, "rttMeanNanoseconds", "Mean round-trip delay"},
    {6, 4, 1, 8, "rttMinNanoseconds", "Minimum round-trip delay"},
    {7, 4, 1, 8, "rttMaxNanoseconds", "Maximum round-trip delay"},
    {8, 4, 1, 8, "rttP95Nanoseconds", "95th percentile of the round-trip delay"},
    {9, 4, 1, 8, "jitterNanoseconds", "Mean absolute round-trip IP packet delay variation"},
    {10, 8, 1, 8, "outboundDelayMeanNanoseconds", "Mean one-way delay out (synchronized clocks)"},
    {11, 8, 1, 8, "inboundDelayMeanNanoseconds", "Mean one-way delay back (synchronized clocks)"},
    {12, 10, 1, 0, "lossRatio", "Lost over sent, 0 to 1"},
    {13, 13, 0, 0, "sessionName", "The Lineup sender session"},
    {14, 13, 0, 0, "tunnelName", "The tunnel the session measures"},
};

class Writer {
 public:
  void U8(std::uint8_t v) { bytes.push_back(std::byte{v}); }
  void U16(std::uint16_t v) {
    U8(static_cast<std::uint8_t>(v >> 8));
    U8(static_cast<std::uint8_t>(v));
  }
  void U32(std::uint32_t v) {
    U16(static_cast<std::uint16_t>(v >> 16));
    U16(static_cast<std::uint16_t>(v));
  }
  void U64(std::uint64_t v) {
    U32(static_cast<std::uint32_t>(v >> 32));
    U32(static_cast<std::uint32_t>(v));
  }
  void Raw(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    bytes.insert(bytes.end(), b, b + n);
  }
  // RFC 7011 §7: lengths below 255 in one octet, else 255 and two octets.
  void String(const std::string& s) {
    const std::size_t n = std::min<std::size_t>(s.size(), 0xFFFF);
    if (n < 255) {
      U8(static_cast<std::uint8_t>(n));
    } else {
      U8(255);
      U16(static_cast<std::uint16_t>(n));
    }
    Raw(s.data(), n);
  }
  void PatchU16(std::size_t at, std::uint16_t v) {
    bytes[at] = std::byte(v >> 8);
    bytes[at + 1] = std::byte(v & 0xff);
  }
  std::vector<std::byte> bytes;
};

std::uint64_t Ms(WallTime t) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}
std::uint64_t Ns(Nanos d) {
  return static_cast<std::uint64_t>(std::max<std::int64_t>(0, d.count()));
}

void Address(Writer& w, const measure::IpAddress& a, bool v6) {
  if (v6) {
    const auto b = measure::Mapped(a).to_bytes();
    w.Raw(b.data(), b.size());
  } else {
    const auto b = a.to_v4().to_bytes();
    w.Raw(b.data(), b.size());
  }
}

void Record(Writer& w, const RunRecord& r, bool v6) {
  const auto& s = r.summary;
  constexpr std::uint64_t kUnknown = ~std::uint64_t{0};
  w.U64(Ms(r.started));
  w.U64(Ms(r.finished));
  Address(w, r.source.address(), v6);
  Address(w, r.destination.address(), v6);
  w.U16(r.source.port());
  w.U16(r.destination.port());
  w.U8(17);
  w.U8(r.dscp);
  w.U64(s.sent);
  w.U64(s.received);
  w.U64(s.lost);
  w.U64(s.lost_forward ? *s.lost_forward : kUnknown);
  w.U64(s.lost_backward ? *s.lost_backward : kUnknown);
  w.U64(Ns(s.round_trip.delay.mean));
  w.U64(Ns(s.round_trip.delay.min));
  w.U64(Ns(s.round_trip.delay.max));
  w.U64(Ns(s.round_trip.delay.p95));
  w.U64(Ns(s.round_trip.jitter.mean_abs));
  w.U64(static_cast<std::uint64_t>(s.forward.delay.mean.count()));
  w.U64(static_cast<std::uint64_t>(s.backward.delay.mean.count()));
  w.U64(std::bit_cast<std::uint64_t>(s.LossRatio()));
  w.String(r.session);
  w.String(r.tunnel);
}

bool IsV6(const RunRecord& r) {
  return r.source.address().is_v6() || r.destination.address().is_v6();
}

}  // namespace

std::vector<std::byte> EncodeMessage(const std::vector<RunRecord>& records, bool templates,
                                     std::uint32_t sequence, std::uint32_t domain,
                                     WallTime export_time, std::uint32_t pen) {
  Writer w;
  w.U16(10);  // version
  w.U16(0);   // length, patched
  w.U32(static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(export_time.time_since_epoch()).count()));
  w.U32(sequence);
  w.U32(domain);
  if (templates) {
    // RFC 5610 first: the Information Element Type Options Template and one
    // record per enterprise element, so the templates after them are
    // understood by name.
    const std::size_t options = w.bytes.size();
    w.U16(3);  // Options Template Set
    w.U16(0);
    w.U16(kTypeTemplate);
    w.U16(9);  // fields
    w.U16(2);  // of which scope
    for (auto [id, length] : {std::pair<std::uint16_t, std::uint16_t>{346, 4},
                              {303, 2},
                              {339, 1},
                              {344, 1},
                              {345, 2},
                              {342, 8},
                              {343, 8},
                              {341, kVariable},
                              {340, kVariable}}) {
      w.U16(id);
      w.U16(length);
    }
    w.PatchU16(options + 2, static_cast<std::uint16_t>(w.bytes.size() - options));
    const std::size_t types = w.bytes.size();
    w.U16(kTypeTemplate);
    w.U16(0);
    for (const auto& e : kElements) {
      w.U32(pen);
      w.U16(e.id);
      w.U8(e.type);
      w.U8(e.semantics);
      w.U16(e.units);
      w.U64(0);
      w.U64(0);
      w.String(e.name);
      w.String(e.description);
    }
    w.PatchU16(types + 2, static_cast<std::uint16_t>(w.bytes.size() - types));

    const std::size_t set = w.bytes.size();
    w.U16(2);  // Template Set
    w.U16(0);
    for (bool v6 : {false, true}) {
      const auto fields = Fields(v6);
      w.U16(v6 ? kTemplateV6 : kTemplateV4);
      w.U16(static_cast<std::uint16_t>(fields.size()));
      for (const auto& f : fields) {
        w.U16(static_cast<std::uint16_t>(f.id | (f.enterprise ? 0x8000 : 0)));
        w.U16(f.length);
        if (f.enterprise) w.U32(pen);
      }
    }
    w.PatchU16(set + 2, static_cast<std::uint16_t>(w.bytes.size() - set));
  }
  for (bool v6 : {false, true}) {
    std::size_t set = 0;
    for (const auto& r : records) {
      if (IsV6(r) != v6) continue;
      if (set == 0) {
        set = w.bytes.size();
        w.U16(v6 ? kTemplateV6 : kTemplateV4);
        w.U16(0);
      }
      Record(w, r, v6);
    }
    if (set != 0) w.PatchU16(set + 2, static_cast<std::uint16_t>(w.bytes.size() - set));
  }
  w.PatchU16(2, static_cast<std::uint16_t>(w.bytes.size()));
  return std::move(w.bytes);
}

std::string CollectorConfig::Describe() const {
  return fmt::format("{}:{}", tcp ? "tcp" : "udp", measure::FormatEndpoint(address));
}

namespace {

class ExporterImpl final : public Exporter {
 public:
  ExporterImpl(CollectorConfig config, const Clock& clock)
      : config_(std::move(config)), clock_(clock) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~ExporterImpl() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }

  void Export(RunRecord record) override {
    {
      std::lock_guard lock(mutex_);
      if (queue_.size() >= kQueue) {
        queue_.pop_front();
        ++counters_.records_dropped;
      }
      queue_.push_back(std::move(record));
    }
    wake_.notify_one();
  }

  ExporterCounters Counters() const override {
    std::lock_guard lock(mutex_);
    return counters_;
  }
  const CollectorConfig& config() const override { return config_; }

 private:
  static constexpr std::size_t kQueue = 10'000;
  static constexpr std::size_t kPerMessage = 20;  // records per message (well under 64 KB)

  void Drop(const std::string& what, std::size_t records) {
    std::lock_guard lock(mutex_);
    counters_.records_dropped += records;
    counters_.last_error = what;
  }

  // Opens the socket; TCP connects with a 2 s limit.
  bool Open() {
    if (fd_ >= 0) return true;
    const auto& a = config_.address;
    sockaddr_storage name{};
    socklen_t length = 0;
    if (a.address().is_v6()) {
      auto* s6 = reinterpret_cast<sockaddr_in6*>(&name);
      s6->sin6_family = AF_INET6;
      s6->sin6_port = htons(a.port());
      const auto b = a.address().to_v6().to_bytes();
      std::memcpy(&s6->sin6_addr, b.data(), b.size());
      length = sizeof(sockaddr_in6);
    } else {
      auto* s4 = reinterpret_cast<sockaddr_in*>(&name);
      s4->sin_family = AF_INET;
      s4->sin_port = htons(a.port());
      const auto b = a.address().to_v4().to_bytes();
      std::memcpy(&s4->sin_addr, b.data(), b.size());
      length = sizeof(sockaddr_in);
    }
    const int fd = ::socket(
        name.ss_family, (config_.tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&name), length) != 0 && errno != EINPROGRESS) {
      Drop(fmt::format("{}: {}", config_.Describe(), std::strerror(errno)), 0);
      ::close(fd);
      return false;
    }
    if (config_.tcp) {
      pollfd p{fd, POLLOUT, 0};
      int error = 0;
      socklen_t size = sizeof error;
      if (::poll(&p, 1, 2000) != 1 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0 ||
          error != 0) {
        Drop(fmt::format("{}: cannot connect: {}", config_.Describe(),
                         error ? std::strerror(error) : "timeout"),
             0);
        ::close(fd);
        return false;
      }
      std::lock_guard lock(mutex_);
      ++counters_.connects;
    }
    fd_ = fd;
    templates_sent_ = MonoTime{};  // templates first
    return true;
  }

  bool Send(const std::vector<std::byte>& message) {
    std::size_t at = 0;
    const MonoTime until = clock_.Monotonic() + std::chrono::seconds(2);
    while (at < message.size()) {
      const ssize_t n = ::send(fd_, message.data() + at, message.size() - at, MSG_NOSIGNAL);
      if (n > 0) {
        at += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && config_.tcp &&
          clock_.Monotonic() < until) {
        pollfd p{fd_, POLLOUT, 0};
        ::poll(&p, 1, 100);
        continue;
      }
      if (!config_.tcp && n < 0 && (errno == ECONNREFUSED || errno == EAGAIN))
        return false;  // UDP: keep the socket
      ::close(fd_);
      fd_ = -1;
      return false;
    }
    return true;
  }

  void Loop() {
    MonoTime retry_at = clock_.Monotonic();
    Nanos backoff = std::chrono::seconds(1);
    while (true) {
      std::vector<RunRecord> batch;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_ && queue_.empty()) return;
        while (!queue_.empty() && batch.size() < kPerMessage) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      const MonoTime now = clock_.Monotonic();
      if (fd_ < 0 && now < retry_at) {
        Drop(fmt::format("{}: not connected (retrying)", config_.Describe()), batch.size());
        continue;
      }
      if (!Open()) {
        Drop(fmt::format("{}: unreachable", config_.Describe()), batch.size());
        retry_at = now + backoff;
        backoff = std::min<Nanos>(backoff * 2, std::chrono::seconds(30));
        continue;
      }
      backoff = std::chrono::seconds(1);
      // UDP: templates in the first message and every template_refresh; TCP:
      // once per connection.
      const bool templates = templates_sent_ == MonoTime{} ||
                             (!config_.tcp && now - templates_sent_ >= config_.template_refresh);
      const auto message = EncodeMessage(batch, templates, sequence_, config_.observation_domain,
                                         clock_.Now(), config_.pen);
      if (!Send(message)) {
        Drop(fmt::format("{}: {}", config_.Describe(), std::strerror(errno)), batch.size());
        retry_at = now + backoff;
        continue;
      }
      if (templates) templates_sent_ = now;
      sequence_ += static_cast<std::uint32_t>(batch.size());
      std::lock_guard lock(mutex_);
      counters_.records_sent += batch.size();
      ++counters_.messages_sent;
    }
  }

  CollectorConfig config_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<RunRecord> queue_;
  ExporterCounters counters_;
  bool stopping_ = false;
  std::thread thread_;
  // The sending thread's own.
  int fd_ = -1;
  std::uint32_t sequence_ = 0;
  MonoTime templates_sent_{};
};

}  // namespace

Result<std::unique_ptr<Exporter>> Exporter::Start(CollectorConfig config, const Clock& clock) {
  if (config.address.port() == 0) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("collector {}: give a port (4739 is IPFIX's)", config.Describe()));
  }
  return std::unique_ptr<Exporter>(std::make_unique<ExporterImpl>(std::move(config), clock));
}

}  // namespace lineup::daemon
