#include "tests/support/browser.h"

#include <openssl/evp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/subprocess.h"

namespace lineup::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using nlohmann::json;

struct Browser::Connection {
  std::unique_ptr<Subprocess> chromium;
  asio::io_context io;
  std::unique_ptr<websocket::stream<tcp::socket>> ws;
};

namespace {

// Reads stop with an error after this long rather than hang the test.
void ReadTimeout(tcp::socket& socket, int seconds) {
  timeval tv{seconds, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

std::string HttpGet(asio::io_context& io, int port, const std::string& target) {
  tcp::socket socket(io);
  socket.connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  ReadTimeout(socket, 10);
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(socket, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  return res.body();
}

}  // namespace

std::string JsString(const std::string& text) { return json(text).dump(); }

Browser::Browser(const std::string& profile_dir, int width, int height)
    : connection_(std::make_unique<Connection>()) {
  if (FindProgram("chromium").empty()) {
    error_ = "chromium is not installed: run scripts/setup";
    return;
  }
  std::filesystem::create_directories(profile_dir);
  connection_->chromium = std::make_unique<Subprocess>(std::vector<std::string>{
      "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
      "--user-data-dir=" + profile_dir,
      "--window-size=" + std::to_string(width) + "," + std::to_string(height), "about:blank"});
  if (!connection_->chromium->started()) {
    error_ = "chromium did not start";
    return;
  }
  // Chromium writes the port it chose, then the browser's path, to this file.
  const std::string active = profile_dir + "/DevToolsActivePort";
  int port = 0;
  for (int i = 0; i < 300 && port == 0; ++i) {
    std::ifstream in(active);
    if (!(in >> port)) port = 0;
    if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (port == 0) {
    error_ = "chromium wrote no DevToolsActivePort in 30 s: " + connection_->chromium->Stderr();
    return;
  }
  try {
    std::string ws_url;
    for (int i = 0; i < 100 && ws_url.empty(); ++i) {
      for (const auto& target : json::parse(HttpGet(connection_->io, port, "/json/list"))) {
        if (target.value("type", "") == "page") ws_url = target.value("webSocketDebuggerUrl", "");
      }
      if (ws_url.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (ws_url.empty()) {
      error_ = "chromium shows no page to attach to";
      return;
    }
    const std::string path = ws_url.substr(ws_url.find('/', std::string("ws://").size()));
    connection_->ws = std::make_unique<websocket::stream<tcp::socket>>(connection_->io);
    auto& socket = connection_->ws->next_layer();
    socket.connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
    ReadTimeout(socket, 60);
    connection_->ws->handshake("127.0.0.1:" + std::to_string(port), path);
    connection_->ws->read_message_max(64 << 20);
  } catch (const std::exception& e) {
    error_ = std::string("cannot reach chromium's DevTools: ") + e.what();
    return;
  }
  for (const char* domain : {"Page.enable", "Runtime.enable", "Log.enable"}) {
    Call(domain, json::object());
    if (!ok()) return;
  }
}

Browser::~Browser() {
  if (connection_->ws) {
    try {
      Call("Browser.close", json::object());
    } catch (...) {
    }
  }
  if (connection_->chromium) connection_->chromium->Wait(5'000);
}

void Browser::Note(const json& event) {
  const std::string method = event.value("method", "");
  const json& p = event.contains("params") ? event["params"] : json::object();
  if (method == "Runtime.exceptionThrown") {
    problems_.push_back("exception: " + p["exceptionDetails"].dump());
  } else if (method == "Runtime.consoleAPICalled" && p.value("type", "") == "error") {
    problems_.push_back("console.error: " + p["args"].dump());
  } else if (method == "Log.entryAdded" && p["entry"].value("level", "") == "error") {
    problems_.push_back("log: " + p["entry"].value("text", "") + " " + p["entry"].value("url", ""));
  }
}

json Browser::Call(const std::string& method, const json& params) {
  if (!connection_->ws) return nullptr;
  const int id = next_id_++;
  try {
    connection_->ws->text(true);
    connection_->ws->write(
        asio::buffer(json{{"id", id}, {"method", method}, {"params", params}}.dump()));
    for (;;) {
      beast::flat_buffer buffer;
      connection_->ws->read(buffer);
      json message = json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
      if (message.is_discarded()) continue;
      if (!message.contains("id")) {
        Note(message);
        continue;
      }
      if (message["id"] != id) continue;
      if (message.contains("error")) {
        error_ = method + ": " + message["error"].dump();
        return nullptr;
      }
      return message["result"];
    }
  } catch (const std::exception& e) {
    error_ = method + ": " + e.what();
    return nullptr;
  }
}

bool Browser::Navigate(const std::string& url) {
  if (Call("Page.navigate", {{"url", url}}).is_null()) return false;
  return WaitFor("document.readyState === 'complete' && location.href !== 'about:blank'", 30'000);
}

json Browser::Eval(const std::string& expression) {
  json r = Call("Runtime.evaluate",
                {{"expression", expression}, {"awaitPromise", true}, {"returnByValue", true}});
  if (r.is_null()) return nullptr;
  if (r.contains("exceptionDetails")) {
    error_ = "the page threw evaluating " + expression + ": " + r["exceptionDetails"].dump();
    return nullptr;
  }
  return r["result"].value("value", json(nullptr));
}

bool Browser::WaitFor(const std::string& condition, int timeout_ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    json v = Eval("!!(" + condition + ")");
    if (v.is_boolean() && v.get<bool>()) return true;
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

bool Browser::Screenshot(const std::string& path) {
  json r = Call("Page.captureScreenshot", {{"format", "png"}, {"captureBeyondViewport", true}});
  if (r.is_null() || !r.contains("data")) return false;
  const std::string b64 = r["data"];
  std::string png(b64.size() / 4 * 3 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(png.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  if (n < 0) return false;
  std::size_t size = static_cast<std::size_t>(n);
  for (std::size_t i = b64.size(); i > 0 && b64[i - 1] == '='; --i)
    --size;  // padding decodes to zeros
  png.resize(size);
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << png;
  return true;
}

}  // namespace lineup::testing
