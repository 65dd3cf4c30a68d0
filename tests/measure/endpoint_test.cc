#include "measure/endpoint.h"

#include <gtest/gtest.h>

namespace lineup::measure {
namespace {

TEST(EndpointTest, ParsesForms) {
  EXPECT_EQ(FormatEndpoint(ParseEndpoint("127.0.0.1").value()), "127.0.0.1:862");
  EXPECT_EQ(FormatEndpoint(ParseEndpoint("192.0.2.1:4000").value()), "192.0.2.1:4000");
  EXPECT_EQ(FormatEndpoint(ParseEndpoint("::1").value()), "[::1]:862");
  EXPECT_EQ(FormatEndpoint(ParseEndpoint("[::1]:9").value()), "[::1]:9");
  EXPECT_EQ(FormatEndpoint(ParseEndpoint("[fe80::1]").value()), "[fe80::1]:862");
  EXPECT_EQ(ParseEndpoint("127.0.0.1", 5000).value().port(), 5000);
}

TEST(EndpointTest, RejectsWithUsefulMessages) {
  for (const char* bad :
       {"", "localhost", "1.2.3.4:", "1.2.3.4:70000", "1.2.3.4:x", "[::1", "[::1]x", "300.1.1.1"}) {
    auto r = ParseEndpoint(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_FALSE(r.error().message.empty());
  }
  EXPECT_NE(ParseEndpoint("localhost").error().message.find("numeric"), std::string::npos);
}

IpAddress A(const char* text) { return boost::asio::ip::make_address(text); }

TEST(TestEndpointRulesTest, ASessionNeitherLoopsNorAimsAtOthers) {
  const TestEndpointRules rules{false, {862, 20001}};
  const IpAddress client = A("192.0.2.7");
  const IpAddress server = A("192.0.2.1");
  EXPECT_EQ(RefuseTestEndpoints(client, 40000, server, client, rules), "");
  EXPECT_EQ(RefuseTestEndpoints(A("::ffff:192.0.2.7"), 40000, server, client, rules), "");
  // Someone else as the sender: replies would go to a third party.
  EXPECT_NE(RefuseTestEndpoints(A("198.51.100.9"), 40000, server, client, rules)
                .find("not the control connection's peer 192.0.2.7"),
            std::string::npos);
  EXPECT_EQ(RefuseTestEndpoints(A("198.51.100.9"), 40000, server, client, {true, {}}),
            "");  // allowed by option
  // Not one host.
  EXPECT_NE(
      RefuseTestEndpoints(A("224.0.0.1"), 40000, server, A("224.0.0.1"), rules).find("multicast"),
      std::string::npos);
  EXPECT_NE(
      RefuseTestEndpoints(client, 40000, A("255.255.255.255"), client, rules).find("broadcast"),
      std::string::npos);
  EXPECT_NE(RefuseTestEndpoints(client, 40000, A("ff02::1"), client, rules).find("multicast"),
            std::string::npos);
  // A local client naming one of the server's own test ports: a loop.
  const IpAddress local = A("127.0.0.1");
  EXPECT_NE(RefuseTestEndpoints(local, 20001, local, local, rules).find("one of this server"),
            std::string::npos);
  EXPECT_NE(RefuseTestEndpoints(local, 0, local, local, rules).find("any of this server"),
            std::string::npos);
  EXPECT_EQ(RefuseTestEndpoints(local, 40000, local, local, rules), "");  // a local client
  EXPECT_EQ(RefuseTestEndpoints(local, 20001, A("127.0.0.2"), local, rules), "");
}

TEST(PrefixTest, MatchesV4AndV6) {
  auto p = Prefix::Parse("10.1.0.0/16").value();
  EXPECT_TRUE(p.Contains(boost::asio::ip::make_address("10.1.200.3")));
  EXPECT_FALSE(p.Contains(boost::asio::ip::make_address("10.2.0.1")));
  EXPECT_TRUE(p.Contains(boost::asio::ip::make_address("::ffff:10.1.0.9")));  // v4-mapped
  EXPECT_FALSE(p.Contains(boost::asio::ip::make_address("2001:db8::1")));
  auto q = Prefix::Parse("2001:db8::/33").value();
  EXPECT_TRUE(q.Contains(boost::asio::ip::make_address("2001:db8:7fff::1")));
  EXPECT_FALSE(q.Contains(boost::asio::ip::make_address("2001:db8:8000::1")));
  EXPECT_EQ(Prefix::Parse("10.1.2.3/8").value().ToString(), "10.0.0.0/8");
  EXPECT_TRUE(
      Prefix::Parse("0.0.0.0/0").value().Contains(boost::asio::ip::make_address("1.2.3.4")));
  auto host = Prefix::Parse("127.0.0.1").value();
  EXPECT_TRUE(host.Contains(boost::asio::ip::make_address("127.0.0.1")));
  EXPECT_FALSE(host.Contains(boost::asio::ip::make_address("127.0.0.2")));
}

TEST(PrefixTest, RejectsBadPrefixes) {
  EXPECT_FALSE(Prefix::Parse("10.0.0.0/33"));
  EXPECT_FALSE(Prefix::Parse("::/129"));
  EXPECT_FALSE(Prefix::Parse("10.0.0.0/"));
  EXPECT_FALSE(Prefix::Parse("ten/8"));
}

}  // namespace
}  // namespace lineup::measure
