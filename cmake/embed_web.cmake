# Writes OUTPUT, a C++ source defining lineup::daemon::WebFile() over the
# files in FILES (paths under DIR), each as bytes in the program.
# cmake -DDIR=... -DOUTPUT=... -DFILES="index.html;app.js" -P embed_web.cmake
set(cases "")
set(data "")
set(n 0)
foreach(name IN LISTS FILES)
  file(READ "${DIR}/${name}" hex HEX)
  string(LENGTH "${hex}" digits)
  math(EXPR size "${digits} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND data "const unsigned char kFile${n}[] = {${bytes} 0};\n")
  if(name MATCHES "\\.html$")
    set(type "text/html; charset=utf-8")
  elseif(name MATCHES "\\.js$")
    set(type "text/javascript; charset=utf-8")
  elseif(name MATCHES "\\.css$")
    set(type "text/css; charset=utf-8")
  elseif(name MATCHES "\\.svg$")
    set(type "image/svg+xml")
  else()
    set(type "application/octet-stream")
  endif()
  if(name STREQUAL "index.html")
    set(url "/")
  else()
    set(url "/ui/${name}")
  endif()
  string(APPEND cases "  if (path == \"${url}\") return WebPage{\"${type}\", {reinterpret_cast<const char*>(kFile${n}), ${size}}};\n")
  math(EXPR n "${n} + 1")
endforeach()
file(WRITE "${OUTPUT}.tmp" "// Generated from daemon/web/ by cmake/embed_web.cmake: do not edit.
#include \"daemon/web_assets.h\"

namespace lineup::daemon {
namespace {
${data}}  // namespace

std::optional<WebPage> WebFile(std::string_view path) {
${cases}  return std::nullopt;
}

}  // namespace lineup::daemon
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
