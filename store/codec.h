// The on-disk record of one event (docs/store.md has the layout):
//
//   0      magic 0x4C ('L')
//   1      record format (1)
//   2-3    event type                 (big-endian)
//   4-5    payload schema version
//   6-13   event time, ns since 1970 (signed)
//   14-21  stream revision
//   22-23  stream name length N, then N bytes
//   ..     event id length M (2 bytes), then M bytes
//   ..     payload: one cereal portable-binary archive
//   last 4 CRC-32 (IEEE) of everything before it
//
// One archive per record, so each record decodes on its own.
#pragma once

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "store/events.h"

namespace lineup::store {

inline constexpr std::uint8_t kRecordMagic = 0x4C;
inline constexpr std::uint8_t kRecordFormat = 1;

// Appends the record of `event` at `revision` to `out`.
void EncodeRecord(const Event& event, std::uint64_t revision, std::string& out);

// Decodes a record. Errors say what is wrong: a checksum mismatch, a
// truncated record, an unknown event type, or a schema version newer than
// this build knows (with the type and versions).
[[nodiscard]] Result<RecordedEvent> DecodeRecord(std::uint64_t position, ConstByteSpan record);

// The event type of a record without decoding it (for filtering), or nullopt
// when the header is unreadable.
std::optional<EventType> PeekType(ConstByteSpan record);

}  // namespace lineup::store
