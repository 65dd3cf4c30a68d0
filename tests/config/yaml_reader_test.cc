#include "config/yaml_reader.h"

#include <gtest/gtest.h>

namespace lineup::yaml {
namespace {

using namespace std::chrono_literals;

TEST(YamlReaderTest, ReadsTypedValuesWithFallbacks) {
  auto doc = Document::Parse(R"(
name: voice
count: 5
ratio: 0.25
on: yes
every: 250ms
tags: [a, b]
one: x
items:
  - {k: 1}
  - {k: 2}
)",
                             "t.yaml");
  ASSERT_TRUE(doc) << doc.error().message;
  Node root = doc->Root();
  EXPECT_EQ(root.RequiredString("name"), "voice");
  EXPECT_EQ(root.Integer("count", 0, 1, 10), 5);
  EXPECT_DOUBLE_EQ(root.Number("ratio", 0, 0, 1), 0.25);
  EXPECT_TRUE(root.Bool("on", false));
  EXPECT_EQ(root.Duration("every", 1s, 1ms, 1h), 250ms);
  EXPECT_EQ(root.Strings("tags"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(root.Strings("one"), (std::vector<std::string>{"x"}));
  auto items = root.List("items");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].Integer("k", 0, 0, 9), 2);
  EXPECT_EQ(root.Integer("missing", 7, 0, 9), 7);
  root.CheckNoOtherKeys();
  EXPECT_TRUE(doc->Status()) << doc->Status().error().message;
}

TEST(YamlReaderTest, EveryProblemIsReportedWithItsPlace) {
  auto doc =
      Document::Parse("count: lots\nratio: 7\nevery: soon\nnmae: x\nitems:\n  - 3\n", "cfg.yaml");
  ASSERT_TRUE(doc);
  Node root = doc->Root();
  root.Integer("count", 0, 0, 10);
  root.Number("ratio", 0, 0, 1);
  root.Duration("every", 1s, 0s, 1h);
  root.RequiredString("name");
  root.List("items");
  root.CheckNoOtherKeys();
  auto status = doc->Status();
  ASSERT_FALSE(status);
  const std::string& m = status.error().message;
  EXPECT_NE(m.find("cfg.yaml:1:8: count: expected a whole number, got 'lots'"), std::string::npos)
      << m;
  EXPECT_NE(m.find("cfg.yaml:2:8: ratio: 7 is out of range: use 0 to 1"), std::string::npos) << m;
  EXPECT_NE(m.find("every: expected a duration"), std::string::npos) << m;
  EXPECT_NE(m.find("'name' is required"), std::string::npos) << m;
  EXPECT_NE(m.find("cfg.yaml:4:1: nmae: unknown key"), std::string::npos) << m;
  EXPECT_NE(m.find("items[0]: expected a mapping"), std::string::npos) << m;
}

TEST(YamlReaderTest, AKeyGivenTwiceIsAnError) {
  auto doc = Document::Parse("policy: {min_dwell: 1s, min_dwell: 5s}\n", "d.yaml");
  ASSERT_TRUE(doc);
  auto root = doc->Root();
  auto policy = root.Child("policy");
  policy->Duration("min_dwell", std::chrono::seconds(0), std::chrono::seconds(0),
                   std::chrono::hours(1));
  policy->CheckNoOtherKeys();
  ASSERT_FALSE(doc->Status());
  EXPECT_NE(doc->Status().error().message.find("d.yaml:1:25: policy.min_dwell: given twice"),
            std::string::npos)
      << doc->Status().error().message;
}

TEST(YamlReaderTest, SyntaxErrorsAndMissingFilesAreClear) {
  auto bad = Document::Parse("a: [1, 2\nb: 3\n", "x.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("x.yaml:"), std::string::npos);
  EXPECT_NE(bad.error().message.find("not valid YAML"), std::string::npos);
  auto list = Document::Parse("- a\n- b\n", "x.yaml");
  ASSERT_FALSE(list);
  EXPECT_NE(list.error().message.find("expected a mapping"), std::string::npos);
  auto missing = Document::Load("/nonexistent/lineup.yaml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("/nonexistent/lineup.yaml"), std::string::npos);
  auto empty = Document::Parse("", "e.yaml");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->Root().Integer("n", 3, 0, 9), 3);
}

// Text on which yaml-cpp 0.7's LoadAll never returns (a token its parser
// cannot place: it adds a null document per turn until memory runs out).
// Each is a syntax error with its place; two were found by fuzzing.
TEST(YamlReaderTest, TokensTheParserCannotPlaceAreErrorsNotAHang) {
  const std::pair<const char*, const char*> cases[] = {
      {",", "1:1"},
      {"}", "1:1"},
      {"]", "1:1"},
      {"a: 1\n,\n", "2:1"},
      {"# comment\nkey: value\n}\n", "3:1"},
      {"sessions: [1, 2]]\n", "1:17"},
  };
  for (const auto& [text, place] : cases) {
    auto r = Document::Parse(text, "x.yaml");
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message.find(std::string("x.yaml:") + place), std::string::npos)
        << text << ": " << r.error().message;
    EXPECT_NE(r.error().message.find("not valid YAML"), std::string::npos) << r.error().message;
  }
  // Documents are still counted.
  auto two = Document::Parse("a: 1\n---\nb: 2\n", "x.yaml");
  ASSERT_FALSE(two);
  EXPECT_NE(two.error().message.find("holds 2 YAML documents"), std::string::npos);
  EXPECT_TRUE(Document::Parse("---\na: 1\n...\n", "x.yaml"));
}

}  // namespace
}  // namespace lineup::yaml
