// respool-cli's raw, CSV and JSON formats, the output modes, forced-raw commands and invalidation
// pushes.

#include "cli_format_test_support.hpp"

#include <gtest/gtest.h>

namespace {

using namespace cli_format_test_support;

// ------------------------------------------------------------------------------------------
// The raw format
// ------------------------------------------------------------------------------------------

TEST(cli_format, raw_scalars) {
  EXPECT_EQ(raw("+OK\r\n"), "OK");
  EXPECT_EQ(raw("-ERR boom\r\n"), "ERR boom\n");
  EXPECT_EQ(raw("!3\r\nERR\r\n"), "ERR\n");
  EXPECT_EQ(raw(":12345\r\n"), "12345");
  EXPECT_EQ(raw(",3.141\r\n"), "3.141");
  EXPECT_EQ(raw("$12\r\ntab\tnewline\n\r\n"), "tab\tnewline\n");
  EXPECT_EQ(raw(binary_bulk), binary);
  EXPECT_EQ(raw("=29\r\ntxt:This is a verbatim\nstring\r\n"), "This is a verbatim\nstring");
  EXPECT_EQ(raw("$-1\r\n"), "");
  EXPECT_EQ(raw("*-1\r\n"), "");
  EXPECT_EQ(raw("_\r\n"), "");
  EXPECT_EQ(raw("#t\r\n"), "(true)");
  EXPECT_EQ(raw("#f\r\n"), "(false)");
  // Raw strings are binary-safe, statuses and errors included.
  EXPECT_EQ(raw("+O\0K\r\n"s), "O\0K"s);
  EXPECT_EQ(raw("-E\0R\r\n"s), "E\0R\n"s);
}

TEST(cli_format, raw_aggregates_are_flattened_with_the_delimiter) {
  EXPECT_EQ(raw("*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n"), "foo\nbar");
  EXPECT_EQ(raw("~3\r\n:0\r\n:1\r\n:2\r\n"), "0\n1\n2");
  EXPECT_EQ(raw(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n"), "invalidate\na");
  EXPECT_EQ(raw("*4\r\n:1\r\n*2\r\n:2\r\n*0\r\n$-1\r\n:3\r\n"), "1\n2\n\n\n3");
  EXPECT_EQ(raw("*0\r\n"), "");
  EXPECT_EQ(raw("%0\r\n"), "");
  EXPECT_EQ(raw("*2\r\n-ERR x\r\n:1\r\n"), "ERR x\n\n1");
  EXPECT_EQ(raw(ten_letters()), "a\nb\nc\nd\ne\nf\ng\nh\ni\nj");
}

TEST(cli_format, raw_map_pairs_are_key_space_value) {
  EXPECT_EQ(raw("%2\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n"), "f1 v1\nf2 v2");
  EXPECT_EQ(raw("%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"), "0 (false)\n1 (true)\n2 (false)");
  EXPECT_EQ(raw("%1\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n"), "a 1\n2");
}

TEST(cli_format, raw_element_delimiter) {
  EXPECT_EQ(raw("*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n", ","), "a,b,c,d");
  EXPECT_EQ(raw("%2\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n", ","), "f1 v1,f2 v2");
  EXPECT_EQ(raw("*2\r\n:1\r\n*2\r\n:2\r\n:3\r\n", "<->"), "1<->2<->3");
  EXPECT_EQ(raw("*2\r\n:1\r\n:2\r\n", ""), "12");
}

// ------------------------------------------------------------------------------------------
// CSV
// ------------------------------------------------------------------------------------------

TEST(cli_format, csv_scalars) {
  EXPECT_EQ(csv("+OK\r\n"), "\"OK\"");
  EXPECT_EQ(csv("-ERR wrong \"x\"\r\n"), R"(ERROR,"ERR wrong \"x\"")");
  EXPECT_EQ(csv("!3\r\nERR\r\n"), R"(ERROR,"ERR")");
  EXPECT_EQ(csv(":-7\r\n"), "-7");
  EXPECT_EQ(csv(",inf\r\n"), "inf");
  EXPECT_EQ(csv("$11\r\nHello World\r\n"), "\"Hello World\"");
  EXPECT_EQ(csv(binary_bulk), R"("\x00\xf0\x7f\x1b\"\\'\t\r\n\a\b\x0b\x0c ~")");
  EXPECT_EQ(csv("=29\r\ntxt:This is a verbatim\nstring\r\n"), R"("This is a verbatim\nstring")");
  EXPECT_EQ(csv("$-1\r\n"), "NULL");
  EXPECT_EQ(csv("_\r\n"), "NULL");
  EXPECT_EQ(csv("#t\r\n"), "true");
  EXPECT_EQ(csv("#f\r\n"), "false");
  // The error text stops at a NUL (strlen); a status is binary-safe.
  EXPECT_EQ(csv("-ERR a\0b\r\n"s), R"(ERROR,"ERR a")");
  EXPECT_EQ(csv("+O\0K\r\n"s), R"("O\x00K")");
}

TEST(cli_format, csv_flattens_every_aggregate) {
  EXPECT_EQ(csv("*3\r\n:0\r\n:1\r\n:2\r\n"), "0,1,2");
  EXPECT_EQ(csv("*4\r\n$1\r\na\r\n:1\r\n$-1\r\n$1\r\nb\r\n"), "\"a\",1,NULL,\"b\"");
  EXPECT_EQ(csv("%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"), "0,false,1,true,2,false");
  EXPECT_EQ(csv("*3\r\n:1\r\n*2\r\n:2\r\n%1\r\n:3\r\n:4\r\n~1\r\n:5\r\n"), "1,2,3,4,5");
  EXPECT_EQ(csv(">2\r\n$10\r\ninvalidate\r\n$-1\r\n"), "\"invalidate\",NULL");
  EXPECT_EQ(csv("*0\r\n"), "");
  EXPECT_EQ(csv("*3\r\n:1\r\n*0\r\n:2\r\n"), "1,,2");
  EXPECT_EQ(csv("*2\r\n-ERR x\r\n+OK\r\n"), R"(ERROR,"ERR x","OK")");
}

// ------------------------------------------------------------------------------------------
// JSON
// ------------------------------------------------------------------------------------------

TEST(cli_format, json_scalars) {
  EXPECT_EQ(json("+OK\r\n"), "\"OK\"");
  EXPECT_EQ(json("-ERR bad \"x\"\r\n"), R"(error:"ERR bad \"x\"")");
  EXPECT_EQ(json("!3\r\nERR\r\n"), R"(error:"ERR")");
  EXPECT_EQ(json(":12345\r\n"), "12345");
  EXPECT_EQ(json(",3.141\r\n"), "3.141");
  EXPECT_EQ(json(",-inf\r\n"), "-inf");
  EXPECT_EQ(json("$15\r\nHello\0\x01World\xf0\x7f/\r\n"s), "\"Hello\\u0000\\u0001World\xf0\x7f/\"");
  EXPECT_EQ(json("=29\r\ntxt:This is a verbatim\nstring\r\n"), R"("This is a verbatim\nstring")");
  EXPECT_EQ(json("$-1\r\n"), "null");
  EXPECT_EQ(json("_\r\n"), "null");
  EXPECT_EQ(json("#t\r\n"), "true");
  EXPECT_EQ(json("#f\r\n"), "false");
  EXPECT_EQ(json("-ERR a\0b\r\n"s), R"(error:"ERR a")");
}

TEST(cli_format, json_aggregates) {
  EXPECT_EQ(json("*3\r\n:0\r\n:1\r\n:2\r\n"), "[0,1,2]");
  EXPECT_EQ(json("~2\r\n$1\r\nx\r\n$1\r\ny\r\n"), R"(["x","y"])");
  EXPECT_EQ(json(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n"), R"(["invalidate",["a"]])");
  EXPECT_EQ(json("*0\r\n"), "[]");
  EXPECT_EQ(json("%0\r\n"), "{}");
  EXPECT_EQ(json("*4\r\n*0\r\n%0\r\n~0\r\n*1\r\n*1\r\n$-1\r\n"), "[[],{},[],[[null]]]");
  EXPECT_EQ(json("%2\r\n$1\r\na\r\n*2\r\n:1\r\n#t\r\n+b\r\n%1\r\n$1\r\nc\r\n,1.5\r\n"),
            R"({"a":[1,true],"b":{"c":1.5}})");
  EXPECT_EQ(json("*2\r\n-ERR x\r\n:1\r\n"), R"([error:"ERR x",1])");
}

TEST(cli_format, json_keys_that_are_not_strings_are_quoted_unescaped) {
  EXPECT_EQ(json("%1\r\n:1\r\n$3\r\nOne\r\n"), R"({"1":"One"})");
  EXPECT_EQ(json("%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"),
            R"({"0":false,"1":true,"2":false})");
  EXPECT_EQ(json("%1\r\n#t\r\n$3\r\nOne\r\n"), R"({"true":"One"})");
  EXPECT_EQ(json("%1\r\n,2.5\r\n$1\r\nd\r\n"), R"({"2.5":"d"})");
  EXPECT_EQ(json("%1\r\n_\r\n:1\r\n"), R"({"null":1})");
  // The text of an aggregate key is not escaped again.
  EXPECT_EQ(json("%1\r\n*2\r\n:1\r\n:2\r\n$3\r\nOne\r\n"), R"({"[1,2]":"One"})");
  EXPECT_EQ(json("%1\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n$3\r\nOne\r\n"), R"({"["x","y"]":"One"})");
  EXPECT_EQ(json("%1\r\n%1\r\n$1\r\na\r\n:1\r\n$1\r\nx\r\n"), R"({"{"a":1}":"x"})");
  // String-like keys are formatted as themselves, an error key included.
  EXPECT_EQ(json("%1\r\n+st\r\n:1\r\n"), R"({"st":1})");
  EXPECT_EQ(json("%1\r\n=7\r\ntxt:vrb\r\n:1\r\n"), R"({"vrb":1})");
  EXPECT_EQ(json("%1\r\n-ERR k\r\n:1\r\n"), R"({error:"ERR k":1})");
}

TEST(cli_format, quoted_json_uses_repr_with_doubled_backslashes) {
  EXPECT_EQ(qjson("$2\r\n\xf0\x65\r\n"), R"("\\xf0e")");
  EXPECT_EQ(qjson("$5\r\nK\0\x01\x65y\r\n"s), R"("K\\x00\\x01ey")");
  EXPECT_EQ(qjson("$27\r\nThis is a verbatim\nstring\\\"\r\n"),
            R"("This is a verbatim\\nstring\\\\\\"")");
  EXPECT_EQ(qjson("=29\r\ntxt:This is a verbatim\nstring\r\n"), R"("This is a verbatim\\nstring")");
  EXPECT_EQ(qjson(binary_bulk), R"("\\x00\\xf0\\x7f\\x1b\\"\\\\'\\t\\r\\n\\a\\b\\x0b\\x0c ~")");
  EXPECT_EQ(qjson("-MYERR \"q\" \\ \t\r\n"), R"(error:"MYERR \\"q\\" \\\\ \\t")");
  EXPECT_EQ(qjson("%1\r\n$2\r\n\x01k\r\n*1\r\n$1\r\n\n\r\n"), R"({"\\x01k":["\\n"]})");
  EXPECT_EQ(qjson("%1\r\n:1\r\n$3\r\nOne\r\n"), R"({"1":"One"})");
  EXPECT_EQ(qjson("*3\r\n:1\r\n#t\r\n_\r\n"), "[1,true,null]");
}

// ------------------------------------------------------------------------------------------
// format_reply: the mode, and what follows the reply
// ------------------------------------------------------------------------------------------

TEST(cli_format, reply_in_each_mode) {
  const std::string lrange = "*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n";
  EXPECT_EQ(reply(lrange, mode(output_mode::standard)), "1) \"foo\"\n2) \"bar\"\n");
  EXPECT_EQ(reply(lrange, mode(output_mode::raw)), "foo\nbar\n");
  EXPECT_EQ(reply(lrange, mode(output_mode::csv)), "\"foo\",\"bar\"\n");
  EXPECT_EQ(reply(lrange, mode(output_mode::json)), "[\"foo\",\"bar\"]\n");
  EXPECT_EQ(reply(lrange, mode(output_mode::quoted_json)), "[\"foo\",\"bar\"]\n");

  EXPECT_EQ(reply(":1\r\n", mode(output_mode::raw)), "1\n");
  EXPECT_EQ(reply("$-1\r\n", mode(output_mode::raw)), "\n");  // GET of a missing key
  EXPECT_EQ(reply("-ERR x\r\n", mode(output_mode::raw)), "ERR x\n\n");
  EXPECT_EQ(reply("$12\r\ntab\tnewline\n\r\n", mode(output_mode::raw)), "tab\tnewline\n\n");
  EXPECT_EQ(reply("*0\r\n", mode(output_mode::csv)), "\n");
  EXPECT_EQ(reply("-ERR x\r\n", mode(output_mode::csv)), "ERROR,\"ERR x\"\n");
  EXPECT_EQ(reply("-ERR x\r\n", mode(output_mode::json)), "error:\"ERR x\"\n");
  EXPECT_EQ(reply("-ERR x\r\n", mode(output_mode::standard)), "(error) ERR x\n");
}

TEST(cli_format, reply_raw_delimiters) {
  format_options o = mode(output_mode::raw);
  o.element_delimiter = ",";
  o.reply_delimiter = "|";
  EXPECT_EQ(reply("*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n", o), "a,b,c,d|");
  EXPECT_EQ(reply("%2\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n", o), "f1 v1,f2 v2|");
  o.reply_delimiter = "";
  EXPECT_EQ(reply("$3\r\n\x00\x01\x02\r\n"s, o), "\x00\x01\x02"s);  // -D "" --raw DUMP
  // The delimiters belong to the raw mode only.
  o.mode = output_mode::csv;
  EXPECT_EQ(reply("*2\r\n:1\r\n:2\r\n", o), "1,2\n");
}

TEST(cli_format, forced_raw_reply_has_nothing_after_it_in_any_mode) {
  const std::string info = "$19\r\n# Server\r\nredis:7\r\n\r\n";
  for (const output_mode m : {output_mode::standard, output_mode::raw, output_mode::csv,
                              output_mode::json, output_mode::quoted_json}) {
    EXPECT_EQ(reply(info, mode(m), true), "# Server\r\nredis:7\r\n");
    EXPECT_EQ(reply("-ERR no such key\r\n", mode(m), true), "ERR no such key\n");
    EXPECT_EQ(reply("+QUEUED\r\n", mode(m), true), "QUEUED");  // INFO inside MULTI
    EXPECT_EQ(reply("$-1\r\n", mode(m), true), "");
  }
  // An aggregate is joined with the element delimiter, still with nothing after it.
  format_options o = mode(output_mode::raw);
  o.element_delimiter = ",";
  o.reply_delimiter = "|";
  EXPECT_EQ(reply("*2\r\n:1\r\n:2\r\n", o, true), "1,2");
}

TEST(cli_format, big_number_is_an_unknown_type_and_nothing_is_written) {
  for (const char* resp : {"(3492890328409238509324850943850943825024385\r\n",
                           "*3\r\n:1\r\n*1\r\n(12\r\n:2\r\n", "%1\r\n(1\r\n:1\r\n"}) {
    const parsed p(resp);
    for (const output_mode m : {output_mode::standard, output_mode::raw, output_mode::csv,
                                output_mode::json, output_mode::quoted_json}) {
      std::string out = "kept";
      EXPECT_EQ(cli::format_reply(out, p.view(), mode(m), false), format_status::unknown_type);
      EXPECT_EQ(cli::format_reply(out, p.view(), mode(m), true), format_status::unknown_type);
      EXPECT_EQ(out, "kept");
    }
    std::string out;
    EXPECT_EQ(cli::format_standard(out, p.view()), format_status::unknown_type);
    EXPECT_EQ(cli::format_raw(out, p.view()), format_status::unknown_type);
    EXPECT_EQ(cli::format_csv(out, p.view()), format_status::unknown_type);
    EXPECT_EQ(cli::format_json(out, p.view(), false), format_status::unknown_type);
    EXPECT_EQ(out, "");
  }
}

// ------------------------------------------------------------------------------------------
// Forced-raw commands
// ------------------------------------------------------------------------------------------

TEST(cli_format, forced_raw_commands) {
  EXPECT_TRUE(forced({"info"}));
  EXPECT_TRUE(forced({"INFO", "server"}));
  EXPECT_TRUE(forced({"Info", "server", "clients"}));
  EXPECT_TRUE(forced({"lolwut"}));
  EXPECT_TRUE(forced({"LOLWUT", "VERSION", "5"}));
  EXPECT_TRUE(forced({"debug", "htstats", "0"}));
  EXPECT_TRUE(forced({"DEBUG", "HTSTATS-KEY", "k"}));
  EXPECT_TRUE(forced({"debug", "client-eviction"}));
  EXPECT_TRUE(forced({"memory", "malloc-stats"}));
  EXPECT_TRUE(forced({"MEMORY", "Doctor"}));
  EXPECT_TRUE(forced({"cluster", "nodes"}));
  EXPECT_TRUE(forced({"CLUSTER", "INFO"}));
  EXPECT_TRUE(forced({"client", "list"}));
  EXPECT_TRUE(forced({"client", "list", "type", "normal"}));
  EXPECT_TRUE(forced({"CLIENT", "INFO"}));
  EXPECT_TRUE(forced({"latency", "graph", "command"}));
  EXPECT_TRUE(forced({"latency", "doctor"}));
  EXPECT_TRUE(forced({"proxy", "info"}));
  EXPECT_TRUE(forced({"PROXY", "INFO", "x"}));
}

TEST(cli_format, not_forced_raw) {
  EXPECT_FALSE(forced({}));
  EXPECT_FALSE(forced({"get", "info"}));
  EXPECT_FALSE(forced({"infos"}));
  EXPECT_FALSE(forced({"debug"}));
  EXPECT_FALSE(forced({"debug", "protocol", "map"}));
  EXPECT_FALSE(forced({"memory", "stats"}));
  EXPECT_FALSE(forced({"memory"}));
  EXPECT_FALSE(forced({"cluster", "nodes", "x"}));  // argc must be 2
  EXPECT_FALSE(forced({"cluster"}));
  EXPECT_FALSE(forced({"cluster", "slots"}));
  EXPECT_FALSE(forced({"client", "id"}));
  EXPECT_FALSE(forced({"client"}));
  EXPECT_FALSE(forced({"latency", "graph"}));  // argc must be 3
  EXPECT_FALSE(forced({"latency", "graph", "a", "b"}));
  EXPECT_FALSE(forced({"latency", "doctor", "x"}));  // argc must be 2
  EXPECT_FALSE(forced({"latency", "latest"}));
  EXPECT_FALSE(forced({"proxy"}));
  // Names are compared as C strings: "info\0x" is "info".
  EXPECT_TRUE(forced({"info\0x"s}));
}

// ------------------------------------------------------------------------------------------
// Invalidation pushes
// ------------------------------------------------------------------------------------------

TEST(cli_format, invalidation_lists_the_keys) {
  EXPECT_EQ(invalidation(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n"), "-> invalidate: 'a'\n");
  EXPECT_EQ(invalidation(">2\r\n$10\r\ninvalidate\r\n*2\r\n$2\r\nk1\r\n$2\r\nk2\r\n"),
            "-> invalidate: 'k1', 'k2'\n");
  EXPECT_EQ(invalidation(">2\r\n$10\r\ninvalidate\r\n*0\r\n"), "-> invalidate: \n");
  // Keys are printed with %s: as they are, up to a NUL.
  EXPECT_EQ(invalidation(">2\r\n$10\r\ninvalidate\r\n*2\r\n$3\r\na\nb\r\n$3\r\nc\0d\r\n"s),
            "-> invalidate: 'a\nb', 'c'\n");
  // strncmp over 10 bytes: a longer name is still an invalidation.
  EXPECT_EQ(invalidation(">2\r\n$11\r\ninvalidatex\r\n*1\r\n$1\r\na\r\n"), "-> invalidate: 'a'\n");
  // A streamed key is a string too.
  EXPECT_EQ(invalidation(">2\r\n$10\r\ninvalidate\r\n*1\r\n$?\r\n;1\r\nk\r\n;0\r\n"),
            "-> invalidate: 'k'\n");
}

TEST(cli_format, invalidation_appends) {
  const parsed p(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n");
  std::string out = "x";
  EXPECT_TRUE(cli::format_invalidation(out, p.view()));
  EXPECT_EQ(out, "x-> invalidate: 'a'\n");
}

TEST(cli_format, not_an_invalidation) {
  const std::string no = "<not an invalidation>";
  // FLUSHALL invalidates with a null: formatted like any push.
  EXPECT_EQ(invalidation(">2\r\n$10\r\ninvalidate\r\n_\r\n"), no);
  EXPECT_EQ(invalidation(">2\r\n$10\r\ninvalidate\r\n$-1\r\n"), no);
  EXPECT_EQ(invalidation("*2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n"), no);  // not a push
  EXPECT_EQ(invalidation(">3\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n:1\r\n"), no);
  EXPECT_EQ(invalidation(">2\r\n+invalidate\r\n*1\r\n$1\r\na\r\n"), no);  // not a bulk string
  EXPECT_EQ(invalidation(">2\r\n$9\r\ninvalidat\r\n*1\r\n$1\r\na\r\n"), no);
  EXPECT_EQ(invalidation(">2\r\n$10\r\nInvalidate\r\n*1\r\n$1\r\na\r\n"), no);
  EXPECT_EQ(invalidation(">2\r\n$10\r\ninvalidate\r\n~1\r\n$1\r\na\r\n"), no);  // a set
  EXPECT_EQ(invalidation(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"), no);
  EXPECT_EQ(invalidation(">0\r\n"), no);
  EXPECT_EQ(invalidation("+OK\r\n"), no);
  // redis-cli asserts that keys are bulk strings; such a push is left to the formatters.
  EXPECT_EQ(invalidation(">2\r\n$10\r\ninvalidate\r\n*1\r\n:1\r\n"), no);
}

}  // namespace
