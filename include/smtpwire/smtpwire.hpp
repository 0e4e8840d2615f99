// smtpwire: every public header of the library in one include.
// An embeddable, sans-I/O SMTP protocol library (RFC 5321 and extensions).
#ifndef SMTPWIRE_SMTPWIRE_HPP
#define SMTPWIRE_SMTPWIRE_HPP

#include "smtpwire/version.hpp"
#include "smtpwire/errc.hpp"
#include "smtpwire/ascii.hpp"
#include "smtpwire/extension.hpp"
#include "smtpwire/limits.hpp"
#include "smtpwire/leniency.hpp"
#include "smtpwire/timeouts.hpp"
#include "smtpwire/line_scanner.hpp"
#include "smtpwire/reply_code.hpp"
#include "smtpwire/enhanced_status.hpp"
#include "smtpwire/reply.hpp"
#include "smtpwire/reply_parser.hpp"
#include "smtpwire/command.hpp"
#include "smtpwire/domain.hpp"
#include "smtpwire/mailbox.hpp"
#include "smtpwire/path.hpp"
#include "smtpwire/esmtp_param.hpp"
#include "smtpwire/mail_parameters.hpp"
#include "smtpwire/data_decoder.hpp"
#include "smtpwire/output_buffer.hpp"
#include "smtpwire/input_buffer.hpp"
#include "smtpwire/server_state.hpp"
#include "smtpwire/server_events.hpp"
#include "smtpwire/server_session.hpp"

#endif
