// Batched UDP receive and send on a native socket, with the metadata TWAMP
// needs from the kernel: receive timestamps (SO_TIMESTAMPNS), TTL / Hop Limit
// and TOS / Traffic Class of received packets, and a per-packet TOS on send.
// Each object owns fixed buffers; one per thread.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "measure/endpoint.h"

namespace lineup::measure {

// Largest datagram taken whole; a longer one is flagged truncated (and dropped
// by the callers). 9216 covers jumbo frames.
inline constexpr std::size_t kMaxDatagram = 9216;

struct DatagramMeta {
  UdpEndpoint peer;
  WallTime receive_time;  // kernel timestamp, or the fallback clock when absent
  int ttl = -1;
  int tos = -1;
  std::size_t length = 0;
  bool truncated = false;
};

// Asks the kernel for receive timestamps, TTL and (when `tos`) TOS on `fd`.
[[nodiscard]] Result<void> EnableReceiveMetadata(int fd, bool ipv6, bool tos = true);

struct SendOptions {
  std::uint8_t tos = 0;  // DSCP << 2 | ECN
  std::uint8_t ttl = 64;
  bool dont_fragment = false;
};
// SO_BINDTODEVICE: the socket sends and receives through `device` (an
// interface or a VRF) only. Nothing when `device` is empty.
[[nodiscard]] Result<void> BindToDevice(int fd, const std::string& device);

// Socket-wide TOS, TTL and don't-fragment for senders.
[[nodiscard]] Result<void> ApplySendOptions(int fd, bool ipv6, const SendOptions& options);

// Raises the soft open-file limit to the hard limit (many sessions, one socket
// each). Returns the new soft limit.
std::uint64_t RaiseFileLimit();

class BatchReceiver {
 public:
  explicit BatchReceiver(std::size_t batch = 32);

  // One recvmmsg(MSG_DONTWAIT). Returns how many datagrams arrived (0 when
  // none were waiting) or the socket error.
  [[nodiscard]] Result<std::size_t> Receive(int fd, const Clock& fallback);

  ConstByteSpan data(std::size_t i) const;
  const DatagramMeta& meta(std::size_t i) const { return meta_[i]; }
  std::size_t capacity() const { return batch_; }

 private:
  std::size_t batch_;
  std::vector<std::byte> buffers_;
  std::vector<std::byte> control_;
  std::vector<sockaddr_storage> names_;
  std::vector<iovec> iov_;
  std::vector<mmsghdr> headers_;
  std::vector<DatagramMeta> meta_;
};

class BatchSender {
 public:
  explicit BatchSender(std::size_t batch = 32);

  std::size_t capacity() const { return batch_; }
  std::size_t size() const { return count_; }
  // A slot of kMaxDatagram bytes to build the next datagram in.
  ByteSpan NextBuffer();
  // Queues the datagram built in NextBuffer() for `peer` with a TOS byte.
  // The socket's own TOS must be 0 (a TOS of 0 sends no control message).
  void Commit(const UdpEndpoint& peer, std::size_t length, std::uint8_t tos);
  // The queued datagrams, for patching just before Flush.
  ByteSpan queued(std::size_t i);

  // sendmmsg of all queued datagrams; returns how many the kernel refused.
  std::size_t Flush(int fd);

 private:
  std::size_t batch_;
  std::size_t count_ = 0;
  std::vector<std::byte> buffers_;
  std::vector<std::byte> control_;
  std::vector<sockaddr_storage> names_;
  std::vector<iovec> iov_;
  std::vector<mmsghdr> headers_;
};

}  // namespace lineup::measure
