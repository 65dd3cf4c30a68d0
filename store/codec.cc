#include "store/codec.h"

#include <fmt/format.h>

#include <boost/crc.hpp>
#include <streambuf>

#include <cereal/archives/portable_binary.hpp>
#include "store/bounded_types.h"  // before the archive: string and vector loaders

namespace cereal {
// Declared in store/bounded_types.h (why there).
void CEREAL_LOAD_FUNCTION_NAME(PortableBinaryInputArchive& ar, bool& b) {
  std::uint8_t byte = 0;
  ar(byte);
  if (byte > 1) throw Exception("a true/false field holds " + std::to_string(byte));
  b = byte == 1;
}
}  // namespace cereal

namespace lineup::store {
namespace {

constexpr std::size_t kFixedHeader = 22;
constexpr std::size_t kCrcLength = 4;

// A streambuf that appends to a std::string (no copies, no locale work).
class StringSink final : public std::streambuf {
 public:
  void Target(std::string* out) { out_ = out; }

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_->append(s, static_cast<std::size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) out_->push_back(static_cast<char>(c));
    return c;
  }

 private:
  std::string* out_ = nullptr;
};

// One output stream per thread, pointed at each record in turn: building a
// std::ostream costs more than encoding a probe sample.
struct SinkStream {
  StringSink sink;
  std::ostream stream{&sink};
};

// A streambuf reading a byte span in place.
class SpanSource final : public std::streambuf {
 public:
  explicit SpanSource(ConstByteSpan in) {
    char* begin = const_cast<char*>(reinterpret_cast<const char*>(in.data()));
    setg(begin, begin, begin + in.size());
  }
};

void PutBigEndian(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint32_t Crc(ConstByteSpan bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

template <typename T>
void WritePayload(const T& value, std::string& out) {
  thread_local SinkStream sink;
  sink.sink.Target(&out);
  cereal::PortableBinaryOutputArchive archive(sink.stream);
  const_cast<T&>(value).Fields(archive, T::kSchemaVersion);
}

template <typename T>
Result<Payload> ReadPayload(ConstByteSpan bytes, std::uint16_t version) {
  if (version > T::kSchemaVersion || version == 0) {
    return Fail(ErrorCode::kMalformed,
                fmt::format("{} schema version {} is newer than this build reads (up to {}): "
                            "upgrade lineup to read this log",
                            ToString(T::kType), version, T::kSchemaVersion));
  }
  SpanSource source(bytes);
  std::istream stream(&source);
  T value;
  internal::g_payload_budget = bytes.size();
  try {
    cereal::PortableBinaryInputArchive archive(stream);
    value.Fields(archive, version);
  } catch (const std::exception& e) {  // cereal::Exception, or a length the budget refused
    return Fail(ErrorCode::kMalformed, fmt::format("{} payload is truncated or damaged: {}",
                                                   ToString(T::kType), e.what()));
  }
  return Payload(std::move(value));
}

// Reads the payload of `type`, by walking the variant's alternatives.
template <std::size_t I = 0>
Result<Payload> ReadPayloadOfType(EventType type, ConstByteSpan bytes, std::uint16_t version) {
  if constexpr (I == std::variant_size_v<Payload>) {
    return Fail(ErrorCode::kMalformed,
                fmt::format("unknown event type {}: written by a newer lineup?",
                            static_cast<unsigned>(type)));
  } else {
    using T = std::variant_alternative_t<I, Payload>;
    if (T::kType == type) return ReadPayload<T>(bytes, version);
    return ReadPayloadOfType<I + 1>(type, bytes, version);
  }
}

}  // namespace

void EncodeRecord(const Event& event, std::uint64_t revision, std::string& out) {
  const std::size_t start = out.size();
  out.push_back(static_cast<char>(kRecordMagic));
  out.push_back(static_cast<char>(kRecordFormat));
  PutBigEndian(out, static_cast<std::uint16_t>(event.type()), 2);
  const std::uint16_t version = std::visit(
      [](const auto& p) { return std::decay_t<decltype(p)>::kSchemaVersion; }, event.payload);
  PutBigEndian(out, version, 2);
  PutBigEndian(out, static_cast<std::uint64_t>(ToUnixNanos(event.time)), 8);
  PutBigEndian(out, revision, 8);
  const auto stream_length = std::min<std::size_t>(event.stream.size(), 0xffff);
  PutBigEndian(out, stream_length, 2);
  out.append(event.stream, 0, stream_length);
  const auto id_length = std::min<std::size_t>(event.event_id.size(), 0xffff);
  PutBigEndian(out, id_length, 2);
  out.append(event.event_id, 0, id_length);
  std::visit([&out](const auto& p) { WritePayload(p, out); }, event.payload);
  const auto* data = reinterpret_cast<const std::byte*>(out.data()) + start;
  PutBigEndian(out, Crc(ConstByteSpan(data, out.size() - start)), 4);
}

std::optional<EventType> PeekType(ConstByteSpan record) {
  if (record.size() < kFixedHeader || GetU8(record, 0) != kRecordMagic) return std::nullopt;
  return static_cast<EventType>(GetU16(record, 2));
}

Result<RecordedEvent> DecodeRecord(std::uint64_t position, ConstByteSpan record) {
  auto fail = [position](std::string what) {
    return Fail(ErrorCode::kMalformed, fmt::format("record at position {}: {}", position, what));
  };
  if (record.size() < kFixedHeader + 4 + kCrcLength) {
    return fail(fmt::format("{} bytes is shorter than any record", record.size()));
  }
  const std::size_t body = record.size() - kCrcLength;
  if (Crc(record.first(body)) != GetU32(record, body)) {
    return fail("checksum mismatch: the record is damaged");
  }
  if (GetU8(record, 0) != kRecordMagic) return fail("bad magic byte");
  if (GetU8(record, 1) != kRecordFormat) {
    return fail(fmt::format("record format {} is not one this build reads ({})", GetU8(record, 1),
                            kRecordFormat));
  }
  const auto type = static_cast<EventType>(GetU16(record, 2));
  const std::uint16_t version = GetU16(record, 4);
  RecordedEvent out;
  out.position = position;
  out.event.time = FromUnixNanos(static_cast<std::int64_t>(GetU64(record, 6)));
  out.revision = GetU64(record, 14);
  std::size_t at = kFixedHeader;
  const std::size_t stream_length = GetU16(record, at);
  at += 2;
  if (at + stream_length + 2 > body) return fail("stream name runs past the record");
  out.event.stream.assign(reinterpret_cast<const char*>(record.data()) + at, stream_length);
  at += stream_length;
  const std::size_t id_length = GetU16(record, at);
  at += 2;
  if (at + id_length > body) return fail("event id runs past the record");
  out.event.event_id.assign(reinterpret_cast<const char*>(record.data()) + at, id_length);
  at += id_length;
  auto payload = ReadPayloadOfType(type, record.subspan(at, body - at), version);
  if (!payload) return fail(payload.error().message);
  out.event.payload = std::move(*payload);
  return out;
}

}  // namespace lineup::store
