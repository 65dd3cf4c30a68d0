// Result<T>: the one error-carrying return type of Lineup. No exceptions cross
// a library boundary; errors a user can hit carry a message that says what was
// wrong and what to do.
#pragma once

#include <string>
#include <tl/expected.hpp>
#include <utility>

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

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

template <typename T>
using Result = tl::expected<T, Error>;

// Shorthand for returning an error: `return Fail(ErrorCode::kMalformed, "...")`.
inline tl::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace lineup
