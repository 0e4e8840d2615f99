// smtpwire version numbers and the inline namespace that carries them.
// Semantic versioning; v0 means the API may still change between minor releases.
#ifndef SMTPWIRE_VERSION_HPP
#define SMTPWIRE_VERSION_HPP

#define SMTPWIRE_VERSION_MAJOR 0
#define SMTPWIRE_VERSION_MINOR 1
#define SMTPWIRE_VERSION_PATCH 0

namespace smtpwire {
inline namespace v0 {

/// The library version as "major.minor.patch".
inline constexpr const char* version_string = "0.1.0";

} // namespace v0
} // namespace smtpwire

#endif
