// Replays tests/transcripts/*.txt through server_session, whole, split at every offset,
// byte by byte, with deferred decisions and with a one-byte writer: same events, same bytes.
#include "smtpwire/server_session.hpp"
#include "support/catch.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/server_driver.hpp"

namespace {

using namespace smtpwire_test;

// A transcript file. Lines:
//   # comment            @key=value ...   server configuration
//   C: text              client bytes "text" CRLF      c: text  client bytes, escapes, no CRLF
//   S: text              expected server line "text" CRLF
//   A: event => decision the application's answer to the first decision event described
//                        so (see describe()); other decisions are accepted
//   E: event             expected event (if any E: line is present, all must be)
//   !eof                 the client closes after its last write
// Consecutive C:/c: lines form one client write; any other line ends it.
struct transcript {
    std::string name;
    server_config config;
    std::string hostname;
    std::vector<std::string> writes;
    std::string expected_output;
    std::vector<std::string> decisions;
    std::vector<std::string> expected_events;
    bool eof = false;
};

extension_set parse_extensions(const std::string& list) {
    extension_set set;
    std::stringstream ss(list);
    std::string item;
    while (std::getline(ss, item, ',')) {
        extension e{};
        INFO("extension " << item);
        REQUIRE(parse_extension(item, e));
        set.add(e);
    }
    return set;
}

void apply_config(transcript& t, const std::string& key, const std::string& value) {
    server_config& c = t.config;
    if (key == "hostname") t.hostname = value;
    else if (key == "extensions") c.extensions = parse_extensions(value);
    else if (key == "early_input") c.early_input = value == "tolerate" ? pipelining_policy::tolerate : pipelining_policy::reject;
    else if (key == "bare_newlines")
        c.bare_newlines = value == "allow" ? bare_newline_policy::allow
                        : value == "normalize" ? bare_newline_policy::normalize
                                               : bare_newline_policy::reject;
    else if (key == "message_size") c.limits.message_size = std::stoull(value);
    else if (key == "recipients") c.limits.recipients = std::stoul(value);
    else if (key == "errors") c.limits.errors = static_cast<unsigned>(std::stoul(value));
    else if (key == "command_line") c.limits.command_line = std::stoul(value);
    else if (key == "text_line") c.limits.text_line = std::stoul(value);
    else if (key == "output_buffer") c.limits.output_buffer = std::stoul(value);
    else if (key == "implicit_tls") c.implicit_tls = value == "1";
    else if (key == "lmtp") c.lmtp = value == "1";
    else if (key == "auth_in_clear") c.auth.allow_in_clear = value == "1";
    else if (key == "auth_required") c.auth.required = value == "1";
    else FAIL("unknown config key " << key);
}

transcript load(const std::filesystem::path& file) {
    transcript t;
    t.name = file.filename().string();
    std::ifstream in(file, std::ios::binary);
    std::string line;
    bool in_write = false;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') {
            in_write = false;
            continue;
        }
        const std::string tag = line.substr(0, 2);
        const std::string body = line.size() > 3 ? line.substr(3) : std::string();
        if (tag == "C:" || tag == "c:") {
            if (!in_write) t.writes.emplace_back();
            in_write = true;
            t.writes.back() += tag == "C:" ? unescape(body) + "\r\n" : unescape(body);
            continue;
        }
        in_write = false;
        if (tag == "S:") t.expected_output += unescape(body) + "\r\n";
        else if (tag == "A:") t.decisions.push_back(body);
        else if (tag == "E:") t.expected_events.push_back(body);
        else if (line == "!eof") t.eof = true;
        else if (line[0] == '@') {
            std::stringstream ss(line.substr(1));
            std::string kv;
            while (ss >> kv) {
                const auto eq = kv.find('=');
                apply_config(t, kv.substr(0, eq), kv.substr(eq + 1));
            }
        } else {
            FAIL(t.name << ": bad line: " << line);
        }
    }
    if (!t.hostname.empty()) t.config.hostname = t.hostname;
    return t;
}

run_result replay(const transcript& t, const run_options& opt) {
    auto used = std::make_shared<std::vector<bool>>(t.decisions.size(), false);
    const std::vector<std::string> decisions = t.decisions;
    server_driver driver(t.config, t.writes, t.eof, [used, decisions](const server_event& ev) {
        const std::string what = describe(ev);
        for (std::size_t i = 0; i < decisions.size(); ++i) {
            const auto arrow = decisions[i].find(" => ");
            if ((*used)[i] || decisions[i].substr(0, arrow) != what) continue;
            (*used)[i] = true;
            return parse_decision(decisions[i].substr(arrow + 4));
        }
        return parse_decision("accept");
    });
    return driver.run(opt);
}

std::vector<std::filesystem::path> transcript_files() {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(SMTPWIRE_TEST_DATA_DIR "/transcripts"))
        if (e.path().extension() == ".txt") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

// Event lines compared in one spelling: escapes resolved, then applied again.
std::vector<std::string> normalised(const std::vector<std::string>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(escape(unescape(e)));
    return out;
}

void check(const transcript& t, const run_result& r, const std::string& how) {
    INFO(t.name << " (" << how << ")");
    CHECK(escape(r.output) == escape(t.expected_output));
    if (!t.expected_events.empty()) CHECK(normalised(r.events) == normalised(t.expected_events));
    for (const auto& e : r.events) CHECK(e.rfind("driver:", 0) != 0);
}

} // namespace

TEST_CASE("transcripts replay identically however the input is split") {
    const auto files = transcript_files();
    REQUIRE(files.size() >= 4);
    for (const auto& file : files) {
        const transcript t = load(file);
        const run_result whole = replay(t, {});
        check(t, whole, "whole");
        run_options bytes;
        bytes.byte_at_a_time = true;
        check(t, replay(t, bytes), "byte at a time");
        run_options deferred;
        deferred.defer_decisions = true;
        deferred.write_chunk = 1;
        check(t, replay(t, deferred), "deferred decisions, 1-byte writes");
        std::size_t total = 0;
        for (const auto& w : t.writes) total += w.size();
        for (std::size_t at = 1; at < total; ++at) {
            run_options split;
            split.splits = {at};
            const run_result r = replay(t, split);
            if (r.output != whole.output || r.events != whole.events)
                check(t, r, "split at " + std::to_string(at));
        }
    }
}
