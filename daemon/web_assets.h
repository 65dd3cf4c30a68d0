// The operator web page's files (daemon/web/), built into the program so
// the daemon serves them with nothing to install and nothing from outside.
#pragma once

#include <optional>
#include <string_view>

namespace lineup::daemon {

struct WebPage {
  std::string_view content_type;
  std::string_view body;
};

// The file at `path` ("/" is the page itself, "/ui/app.js", ...), if any.
std::optional<WebPage> WebFile(std::string_view path);

}  // namespace lineup::daemon
