// The Session-Reflector on real sockets: any number of UDP listeners (IPv4
// and IPv6) on one io_context, each with its own ReflectorCore and counters.
// Runs on the io_context's thread; Status() must be called from it too (or
// after the io_context stopped).
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <vector>

#include "base/clock.h"
#include "measure/reflector.h"

namespace lineup::measure {

struct ListenerStatus {
  UdpEndpoint local;  // the bound address and port (port 0 resolved)
  ReflectorCounters counters;
  std::size_t active_senders = 0;  // all of them
  // The kTopSenders that sent the most, most first (ties by peer): a table
  // of 65,536 senders made a report of 7 MB and /metrics 13 ms.
  static constexpr std::size_t kTopSenders = 20;
  std::vector<std::pair<SenderKey, SenderState>> senders;
  std::size_t SendersNotListed() const { return active_senders - senders.size(); }
};

// The batch buffers a reflector receives into and builds its replies in
// (about 600 KB, for 32 datagrams of up to 9 KB each way). Reflectors on the
// same io_context thread can share one set: each drains its socket and
// flushes its replies before it yields, so the buffers are never held across
// handlers. A TWAMP server with thousands of test sessions needs one set.
struct ReflectorBuffers;
[[nodiscard]] std::shared_ptr<ReflectorBuffers> MakeReflectorBuffers();

// The endpoints a datagram from `listener` can come from: itself, or for a
// wildcard listener the host's addresses of its family with its port.
std::vector<UdpEndpoint> OwnEndpoints(const UdpEndpoint& listener);

class ReflectorServer {
 public:
  // Binds every listener or fails naming the one that could not be bound.
  // Without `buffers` the server has its own.
  [[nodiscard]] static Result<std::unique_ptr<ReflectorServer>> Create(
      boost::asio::io_context& io, const Clock& clock, const std::vector<UdpEndpoint>& listen,
      const ReflectorConfig& config, std::shared_ptr<ReflectorBuffers> buffers = nullptr);
  virtual ~ReflectorServer() = default;

  virtual std::vector<ListenerStatus> Status() const = 0;
  // Closes every listener; pending handlers finish without effect.
  virtual void Stop() = 0;
};

}  // namespace lineup::measure
