#include "net/udp_io.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace lineup::measure {
namespace {

constexpr std::size_t kControlSpace = 256;

Result<void> SetInt(int fd, int level, int name, int value, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof(value)) != 0) {
    return Fail(ErrorCode::kIo,
                fmt::format("setsockopt({}) failed: {}", what, std::strerror(errno)));
  }
  return {};
}

UdpEndpoint ToEndpoint(const sockaddr_storage& name, socklen_t length) {
  UdpEndpoint endpoint;
  const std::size_t n = std::min<std::size_t>(length, endpoint.capacity());
  std::memcpy(endpoint.data(), &name, n);
  endpoint.resize(n);
  return endpoint;
}

void ReadControl(msghdr& header, DatagramMeta& meta) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr; c = CMSG_NXTHDR(&header, c)) {
    const unsigned char* data = CMSG_DATA(c);
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts{};
      std::memcpy(&ts, data, sizeof(ts));
      meta.receive_time = FromUnixNanos(std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec);
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
      int v = 0;
      std::memcpy(&v, data, sizeof(v));
      meta.ttl = v;
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
      meta.tos = *data;  // one byte on receive
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
      int v = 0;
      std::memcpy(&v, data, sizeof(v));
      meta.ttl = v;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
      int v = 0;
      std::memcpy(&v, data, sizeof(v));
      meta.tos = v;
    }
  }
}

}  // namespace

Result<void> EnableReceiveMetadata(int fd, bool ipv6, bool tos) {
  if (auto r = SetInt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS"); !r) return r;
  if (ipv6) {
    if (auto r = SetInt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT"); !r) return r;
    return tos ? SetInt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1, "IPV6_RECVTCLASS") : Result<void>{};
  }
  if (auto r = SetInt(fd, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL"); !r) return r;
  return tos ? SetInt(fd, IPPROTO_IP, IP_RECVTOS, 1, "IP_RECVTOS") : Result<void>{};
}

Result<void> BindToDevice(int fd, const std::string& device) {
  if (device.empty()) return {};
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device.c_str(),
                 static_cast<socklen_t>(device.size())) != 0) {
    const int error = errno;
    return Fail(ErrorCode::kIo,
                fmt::format("cannot bind to device {}: {}{}", device, std::strerror(error),
                            error == EPERM    ? " (needs root or CAP_NET_RAW)"
                            : error == ENODEV ? " (no such interface or VRF)"
                                              : ""));
  }
  return {};
}

Result<void> ApplySendOptions(int fd, bool ipv6, const SendOptions& o) {
  if (ipv6) {
    if (auto r = SetInt(fd, IPPROTO_IPV6, IPV6_TCLASS, o.tos, "IPV6_TCLASS"); !r) return r;
    if (auto r = SetInt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, o.ttl, "IPV6_UNICAST_HOPS"); !r) {
      return r;
    }
    return SetInt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, o.dont_fragment ? 1 : 0, "IPV6_DONTFRAG");
  }
  if (auto r = SetInt(fd, IPPROTO_IP, IP_TOS, o.tos, "IP_TOS"); !r) return r;
  if (auto r = SetInt(fd, IPPROTO_IP, IP_TTL, o.ttl, "IP_TTL"); !r) return r;
  return SetInt(fd, IPPROTO_IP, IP_MTU_DISCOVER,
                o.dont_fragment ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT, "IP_MTU_DISCOVER");
}

std::uint64_t RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

BatchReceiver::BatchReceiver(std::size_t batch)
    : batch_(batch),
      buffers_(batch * kMaxDatagram),
      control_(batch * kControlSpace),
      names_(batch),
      iov_(batch),
      headers_(batch),
      meta_(batch) {}

Result<std::size_t> BatchReceiver::Receive(int fd, const Clock& fallback) {
  for (std::size_t i = 0; i < batch_; ++i) {
    iov_[i] = {buffers_.data() + i * kMaxDatagram, kMaxDatagram};
    msghdr& h = headers_[i].msg_hdr;
    h = {};
    h.msg_name = &names_[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &iov_[i];
    h.msg_iovlen = 1;
    h.msg_control = control_.data() + i * kControlSpace;
    h.msg_controllen = kControlSpace;
  }
  const int n = recvmmsg(fd, headers_.data(), static_cast<unsigned>(batch_), MSG_DONTWAIT, nullptr);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::size_t{0};
    return Fail(ErrorCode::kIo, fmt::format("recvmmsg failed: {}", std::strerror(errno)));
  }
  const WallTime now = fallback.Now();
  for (int i = 0; i < n; ++i) {
    msghdr& h = headers_[i].msg_hdr;
    DatagramMeta& m = meta_[i];
    m = DatagramMeta{};
    m.receive_time = now;
    m.peer = ToEndpoint(names_[i], h.msg_namelen);
    m.length = std::min<std::size_t>(headers_[i].msg_len, kMaxDatagram);
    m.truncated = (h.msg_flags & MSG_TRUNC) != 0;
    ReadControl(h, m);
  }
  return static_cast<std::size_t>(n);
}

ConstByteSpan BatchReceiver::data(std::size_t i) const {
  return ConstByteSpan(buffers_.data() + i * kMaxDatagram, meta_[i].length);
}

BatchSender::BatchSender(std::size_t batch)
    : batch_(batch),
      buffers_(batch * kMaxDatagram),
      control_(batch * kControlSpace),
      names_(batch),
      iov_(batch),
      headers_(batch) {}

ByteSpan BatchSender::NextBuffer() {
  return ByteSpan(buffers_.data() + count_ * kMaxDatagram, kMaxDatagram);
}

ByteSpan BatchSender::queued(std::size_t i) {
  return ByteSpan(buffers_.data() + i * kMaxDatagram, iov_[i].iov_len);
}

void BatchSender::Commit(const UdpEndpoint& peer, std::size_t length, std::uint8_t tos) {
  const std::size_t i = count_++;
  std::memcpy(&names_[i], peer.data(), peer.size());
  iov_[i] = {buffers_.data() + i * kMaxDatagram, length};
  msghdr& h = headers_[i].msg_hdr;
  h = {};
  h.msg_name = &names_[i];
  h.msg_namelen = static_cast<socklen_t>(peer.size());
  h.msg_iov = &iov_[i];
  h.msg_iovlen = 1;
  if (tos == 0) return;  // the socket's own TOS is 0: no control message to parse
  h.msg_control = control_.data() + i * kControlSpace;
  h.msg_controllen = CMSG_SPACE(sizeof(int));
  cmsghdr* c = CMSG_FIRSTHDR(&h);
  const bool v6 = peer.address().is_v6();
  c->cmsg_level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
  c->cmsg_type = v6 ? IPV6_TCLASS : IP_TOS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  const int value = tos;
  std::memcpy(CMSG_DATA(c), &value, sizeof(value));
}

std::size_t BatchSender::Flush(int fd) {
  std::size_t done = 0;
  std::size_t refused = 0;
  while (done < count_) {
    const int n = sendmmsg(fd, headers_.data() + done, static_cast<unsigned>(count_ - done), 0);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      ++refused;  // skip the datagram the kernel refused (no route, EMSGSIZE, ...)
      ++done;
    }
  }
  count_ = 0;
  return refused;
}

}  // namespace lineup::measure
