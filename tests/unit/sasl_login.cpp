#include "smtpwire/sasl/login.hpp"

#include "support/catch.hpp"

#include "smtpwire/base64.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace sasl = smtpwire::sasl;
using sasl::login_answer;

namespace {

std::string base64(std::string_view in) {
    std::string out(smtpwire::base64_encoded_size(in.size()), '?');
    REQUIRE(smtpwire::base64_encode(in, out.data()) == out.size());
    return out;
}

static_assert(sasl::answer_login_prompt(sasl::login_user_prompt, 0) == login_answer::user);
static_assert(sasl::answer_login_prompt(sasl::login_password_prompt, 1) == login_answer::password);

} // namespace

TEST_CASE("sasl login: the prompts and their base64 forms") {
    CHECK(sasl::login_user_prompt == "Username:");
    CHECK(sasl::login_password_prompt == "Password:");
    CHECK(base64(sasl::login_user_prompt) == sasl::login_user_prompt_base64);
    CHECK(base64(sasl::login_password_prompt) == sasl::login_password_prompt_base64);
    CHECK(sasl::login_user_prompt_base64 == "VXNlcm5hbWU6");
    CHECK(sasl::login_password_prompt_base64 == "UGFzc3dvcmQ6");
}

TEST_CASE("sasl login: the usual exchange") {
    // S: 334 VXNlcm5hbWU6 / C: <user> / S: 334 UGFzc3dvcmQ6 / C: <password> / S: 235
    CHECK(sasl::answer_login_prompt("Username:", 0) == login_answer::user);
    CHECK(sasl::answer_login_prompt("Password:", 1) == login_answer::password);
    // With the user name sent on the AUTH line ("AUTH LOGIN dGlt"), one answer is
    // already sent: an unrecognised challenge then asks for the password.
    CHECK(sasl::answer_login_prompt("", 1) == login_answer::password);
}

TEST_CASE("sasl login: prompts are recognised by their start, ignoring case") {
    for (std::string_view p : {"Username:", "username:", "USERNAME:", "Username", "User Name",
                               "User Name:", "user name", "Username please:"}) {
        CHECK(sasl::answer_login_prompt(p, 0) == login_answer::user);
        CHECK(sasl::answer_login_prompt(p, 1) == login_answer::user);
    }
    for (std::string_view p : {"Password:", "password:", "PASSWORD", "Password", "Password for you:"}) {
        CHECK(sasl::answer_login_prompt(p, 0) == login_answer::password);
        CHECK(sasl::answer_login_prompt(p, 1) == login_answer::password);
    }
}

TEST_CASE("sasl login: other prompts are answered by position") {
    for (std::string_view p : {"", "Login:", "User:", "Name", "Passwd:", " Username:", "Pass:",
                               "Usernam", "\xFF\xFE"}) {
        CHECK(sasl::answer_login_prompt(p, 0) == login_answer::user);
        CHECK(sasl::answer_login_prompt(p, 1) == login_answer::password);
    }
}

TEST_CASE("sasl login: a third challenge is cancelled") {
    for (std::size_t sent : {std::size_t{2}, std::size_t{3}, std::size_t{1000}}) {
        CHECK(sasl::answer_login_prompt("Username:", sent) == login_answer::cancel);
        CHECK(sasl::answer_login_prompt("Password:", sent) == login_answer::cancel);
        CHECK(sasl::answer_login_prompt("", sent) == login_answer::cancel);
    }
}
