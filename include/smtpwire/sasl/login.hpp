// The LOGIN SASL mechanism: two server prompts, answered with the user name and the password.
// No RFC defines it: draft-murchison-sasl-login-00 (expired) documents the de-facto form.
#ifndef SMTPWIRE_SASL_LOGIN_HPP
#define SMTPWIRE_SASL_LOGIN_HPP

// LOGIN was never published as an RFC; an expired Internet-Draft documents it for
// compatibility. The server sends two challenges and the client answers the first with
// its user name and the second with its password, each base64-encoded on a line of its
// own (RFC 4954 §4). The texts describing it suggest the prompts "User Name" and
// "Password" and have clients ignore them; deployed servers send "Username:" and
// "Password:", which clients expect. LOGIN carries no authorization identity, and the password
// crosses the wire: it is for servers that offer nothing better, and only inside TLS.
// Prefer PLAIN (sasl/plain.hpp), which the draft itself recommends in its place.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smtpwire/ascii.hpp"

namespace smtpwire {
inline namespace v0 {
namespace sasl {

/// The first challenge as servers send it, before base64.
inline constexpr std::string_view login_user_prompt = "Username:";
/// The second challenge as servers send it, before base64.
inline constexpr std::string_view login_password_prompt = "Password:";
/// login_user_prompt in base64: the text of the server's first 334 reply.
inline constexpr std::string_view login_user_prompt_base64 = "VXNlcm5hbWU6";
/// login_password_prompt in base64: the text of the server's second 334 reply.
inline constexpr std::string_view login_password_prompt_base64 = "UGFzc3dvcmQ6";

/// What a LOGIN client sends in answer to a challenge.
enum class login_answer : std::uint8_t {
    user,      // the user name
    password,  // the password
    cancel,    // nothing more to answer: cancel the exchange ("*" in SMTP, RFC 4954 §4)
};

/// Decides what answers a LOGIN challenge. `decoded_prompt` is the challenge after
/// base64; `responses_sent` is how many answers the client already sent in this
/// exchange, an initial response on the AUTH line ("AUTH LOGIN <user>") included.
/// A prompt starting with "Username", "User Name" or "Password" (ASCII case ignored)
/// is answered as it asks; any other prompt by position, as clients that ignore the
/// prompts do: the user name first, then the password. A challenge after two answers
/// is not LOGIN and is answered with cancel, whatever it says.
[[nodiscard]] constexpr login_answer answer_login_prompt(std::string_view decoded_prompt,
                                                         std::size_t responses_sent) noexcept {
    if (responses_sent >= 2) return login_answer::cancel;
    if (ascii::istarts_with(decoded_prompt, "Username") ||
        ascii::istarts_with(decoded_prompt, "User Name"))
        return login_answer::user;
    if (ascii::istarts_with(decoded_prompt, "Password")) return login_answer::password;
    return responses_sent == 0 ? login_answer::user : login_answer::password;
}

} // namespace sasl
} // namespace v0
} // namespace smtpwire

#endif
