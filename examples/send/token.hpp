// smtpwire-send's OAuth 2.0 bearer token: read from a file and checked before it is sent.
// RFC 6750 §2.1 (the b64token); RFC 7628 §3.1 and Google's XOAUTH2 carry it in AUTH.
#ifndef SMTPWIRE_SEND_TOKEN_HPP
#define SMTPWIRE_SEND_TOKEN_HPP

#include <cstddef>
#include <string>

namespace sender {

/// The longest token read_token() takes, in octets. Access tokens in use are a few
/// hundred to a few thousand octets; the bound keeps a wrong file (a log, /dev/zero)
/// from being read without end.
inline constexpr std::size_t max_token_size = 16384;

/// Reads the bearer token in the file at `path` into `token`: the whole content but one
/// final LF or CRLF, which must be a b64token (RFC 6750 §2.1). Returns 0, or a
/// sysexits.h status with `error` set, which never repeats the file's content:
/// EX_NOINPUT (the file cannot be read), EX_DATAERR (no token, or more than
/// max_token_size octets).
int read_token(const std::string& path, std::string& token, std::string& error);

} // namespace sender

#endif
