// cereal serialization of std::string and std::vector with the same bytes as
// cereal's own (a 64-bit size, then the elements), but whose loaders refuse a
// size that cannot fit in what is left of the record: a damaged record then
// fails to decode instead of asking for gigabytes; and a bool loader that
// refuses a byte other than 0 or 1. Use instead of
// <cereal/types/string.hpp> and <cereal/types/vector.hpp>, and include before
// <cereal/archives/portable_binary.hpp>.
#pragma once

#include <cereal/cereal.hpp>
#include <cstddef>
#include <string>
#include <vector>

namespace lineup::store::internal {
// Bytes of payload the current decode may still consume (set per record).
inline thread_local std::size_t g_payload_budget = SIZE_MAX;

inline void Claim(std::size_t bytes) {
  if (bytes > g_payload_budget) {
    throw cereal::Exception("a length field claims more bytes than the record holds");
  }
  g_payload_budget -= bytes;
}
}  // namespace lineup::store::internal

namespace cereal {

class PortableBinaryInputArchive;

// A bool is one byte, 0 or 1. cereal would read the byte into the bool as it
// is, and any other value (a damaged record whose CRC happens to hold, found
// by fuzz/event_record.cc) would be a bool with no valid value: undefined
// behaviour. This loader reads a byte and refuses the rest. A function, not a
// template, so overload resolution prefers it to cereal's loader for
// arithmetic types; declared here, not in codec.cc, so that every file that
// reads records sees it (a file without it would instantiate cereal's, and
// the linker may keep either).
void CEREAL_LOAD_FUNCTION_NAME(PortableBinaryInputArchive& ar, bool& b);

template <class Archive>
void CEREAL_SAVE_FUNCTION_NAME(Archive& ar, const std::string& s) {
  ar(make_size_tag(static_cast<size_type>(s.size())));
  ar(binary_data(s.data(), s.size()));
}

template <class Archive>
void CEREAL_LOAD_FUNCTION_NAME(Archive& ar, std::string& s) {
  size_type size = 0;
  ar(make_size_tag(size));
  lineup::store::internal::Claim(static_cast<std::size_t>(size));
  s.resize(static_cast<std::size_t>(size));
  ar(binary_data(s.data(), s.size()));
}

template <class Archive, class T>
void CEREAL_SAVE_FUNCTION_NAME(Archive& ar, const std::vector<T>& v) {
  ar(make_size_tag(static_cast<size_type>(v.size())));
  for (const auto& x : v) ar(x);
}

template <class Archive, class T>
void CEREAL_LOAD_FUNCTION_NAME(Archive& ar, std::vector<T>& v) {
  size_type size = 0;
  ar(make_size_tag(size));
  lineup::store::internal::Claim(
      static_cast<std::size_t>(size));  // each element takes a byte or more
  v.resize(static_cast<std::size_t>(size));
  for (auto& x : v) ar(x);
}

}  // namespace cereal
