#!/usr/bin/env bash
# A test relay for bench/chunking.ts: Debian's Postfix on 127.0.0.1:2525, offering PIPELINING and
# CHUNKING (BDAT, RFC 3030), accepting mail from loopback for any recipient and discarding it.
# Two recipients are refused on purpose, to see how a refusal in the middle of a pipeline is answered:
#   reject@refused.invalid  -> 550 5.1.1   (a permanent refusal at RCPT TO)
#   defer@refused.invalid   -> 450 4.2.1   (a temporary one)
# Idempotent: run it again to reapply the settings and restart. Not needed by `npm test` or .ci/run.
# Stop the relay with `postfix stop`. Debian only (apt-get); needs root.
set -euo pipefail

if ! command -v postfix >/dev/null; then
  apt-get update -q
  echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
  echo 'postfix postfix/mailname string bench.local' | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix
fi

# "No configuration" leaves no main.cf: start from an empty one (postconf fills in the defaults).
touch /etc/postfix/main.cf
postconf -e \
  'compatibility_level = 3.6' \
  'myhostname = bench.local' \
  'mydomain = bench.local' \
  'myorigin = $myhostname' \
  'mydestination =' \
  'relay_domains =' \
  'alias_maps =' \
  'alias_database =' \
  'inet_interfaces = loopback-only' \
  'inet_protocols = ipv4' \
  'mynetworks = 127.0.0.0/8' \
  'smtpd_relay_restrictions = permit_mynetworks, reject' \
  'smtpd_recipient_restrictions = check_recipient_access hash:/etc/postfix/bench_recipient_access, permit_mynetworks, reject' \
  'default_transport = discard:bench relay' \
  'relay_transport = discard:bench relay' \
  'local_transport = discard:bench relay' \
  'smtpd_tls_security_level = none' \
  'smtp_tls_security_level = none' \
  'smtpd_discard_ehlo_keywords =' \
  'smtpd_client_connection_count_limit = 200' \
  'smtpd_client_event_limit_exceptions = 127.0.0.0/8' \
  'default_process_limit = 200' \
  'message_size_limit = 10240000' \
  'maillog_file = /var/log/postfix-bench.log' \
  'biff = no'

cat > /etc/postfix/bench_recipient_access <<'MAP'
reject@refused.invalid 550 5.1.1 bench: this recipient is refused
defer@refused.invalid 450 4.2.1 bench: this recipient is deferred
MAP
postmap hash:/etc/postfix/bench_recipient_access

# No chroot (it would need copies of /etc files under the spool); smtpd only on 127.0.0.1:2525.
postconf -F '*/*/chroot = n'
postconf -M# 'smtp/inet' 2>/dev/null || true
postconf -Me '127.0.0.1:2525/inet = 127.0.0.1:2525 inet n - n - - smtpd'

postfix check
if postfix status >/dev/null 2>&1; then postfix reload; else postfix start; fi
sleep 1
postfix status
