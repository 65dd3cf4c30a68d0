// Result<T>: the one error-carrying return type of Lineup. No exceptions cross
// a library boundary; errors a user can hit carry a message that says what was
// wrong and what to do.
#pragma once

#include <string>
#include <tl/expected.hpp>
#include <utility>
#include <vector>

namespace lineup {

enum class ErrorCode {
  kInvalidArgument,  // a parameter or configuration value is out of range
  kMalformed,        // bytes that do not decode (short, bad field, MBZ set)
  kIo,               // a socket or file operation failed
  kNotFound,
  kUnavailable,  // a resource is busy or temporarily missing
  kConflict,     // an expectation about current state did not hold
  kInternal,
};

const char* ToString(ErrorCode code);

// One problem of an input that has several: where it is, as a path of keys
// ("sessions.voice.dscp", "reflectors[2].listen"), and what is wrong there.
struct Problem {
  std::string path;
  std::string message;
  bool operator==(const Problem&) const = default;
};

struct Error {
  Error() = default;
  Error(ErrorCode c, std::string m, std::vector<Problem> p = {})
      : code(c), message(std::move(m)), problems(std::move(p)) {}

  ErrorCode code = ErrorCode::kInternal;
  std::string message;            // for people: every problem, one per line
  std::vector<Problem> problems;  // for programs: the same, each with its path
};

template <typename T>
using Result = tl::expected<T, Error>;

// Shorthand for returning an error: `return Fail(ErrorCode::kMalformed, "...")`.
inline tl::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace lineup
