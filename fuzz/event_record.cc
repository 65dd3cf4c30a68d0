// Bytes as an event-log record: decoded as they are, and again with their
// CRC made right, so mutations reach the header and the cereal payload
// rather than stopping at the checksum. A record that decodes must encode
// to one that decodes to the same bytes again (encoding is canonical).
#include <boost/crc.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "store/codec.h"

namespace s = lineup::store;

namespace {

lineup::ConstByteSpan Bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

void RoundTrip(const s::RecordedEvent& decoded) {
  std::string once;
  s::EncodeRecord(decoded.event, decoded.revision, once);
  auto again = s::DecodeRecord(decoded.position, Bytes(once));
  if (!again) std::abort();  // what we wrote we cannot read
  std::string twice;
  s::EncodeRecord(again->event, again->revision, twice);
  if (twice != once) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::byte> record(reinterpret_cast<const std::byte*>(data),
                                reinterpret_cast<const std::byte*>(data) + size);
  (void)s::PeekType(record);
  if (auto decoded = s::DecodeRecord(7, record)) RoundTrip(*decoded);
  if (record.size() < 4) return 0;
  boost::crc_32_type crc;
  crc.process_bytes(record.data(), record.size() - 4);
  const std::uint32_t sum = crc.checksum();
  for (int i = 0; i < 4; ++i) record[record.size() - 4 + i] = std::byte(sum >> (24 - 8 * i));
  if (auto decoded = s::DecodeRecord(7, record)) RoundTrip(*decoded);
  return 0;
}
