// smtpwire-load's event loop: every connection of a run in one epoll set on one thread.
// Edge-triggered; a connection that ends while messages remain is replaced.
#ifndef SMTPWIRE_LOAD_EVENT_LOOP_HPP
#define SMTPWIRE_LOAD_EVENT_LOOP_HPP

#include <string>

#include "options.hpp"
#include "tally.hpp"

namespace load {

/// Sends opt.messages messages of opt.size octets over opt.sessions connections at a
/// time, counting into `t`; `elapsed_s` is the wall time from the first connect to
/// the last close. False, with `error` set, when the server's address cannot be
/// resolved or a socket cannot be made, or when nothing happened for 30 seconds.
bool run_load(const options& opt, tally& t, double& elapsed_s, std::string& error);

} // namespace load

#endif
