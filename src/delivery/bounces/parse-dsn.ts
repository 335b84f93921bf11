/**
 * Delivery status notifications (RFC 3464) and complaint reports (ARF, RFC 5965), read from the
 * parts of a bounce message. Pure: the inbound SMTP listener and tests feed it text.
 */
export type BounceKind = 'hard' | 'soft' | 'complaint';

export interface BounceReport {
  readonly kind: BounceKind;
  /** Final-Recipient / Original-Rcpt-To, when the report names it. */
  readonly recipient: string | undefined;
  /** `5.1.1`, or `complaint` for a feedback report. */
  readonly status: string;
  /** One line for the suppression and the subscriber event. */
  readonly reason: string;
}

function fields(block: string): Map<string, string> {
  const out = new Map<string, string>();
  // Unfold continuation lines, then read "Name: value".
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (m && !out.has(m[1]!.toLowerCase())) out.set(m[1]!.toLowerCase(), m[2]!.trim());
  }
  return out;
}

const typed = (value: string | undefined) => value?.replace(/^[a-z0-9-]+;\s*/i, '').trim() || undefined;

/**
 * The per-recipient reports of a message/delivery-status part. `failed` with a 5.x.x status is a hard
 * bounce; `delayed`, or a 4.x.x, is soft (no action); `delivered`, `relayed` and `expanded` are dropped.
 */
export function parseDeliveryStatus(text: string): BounceReport[] {
  const blocks = text.split(/\r?\n\s*\r?\n/).filter((b) => b.trim());
  const reports: BounceReport[] = [];
  for (const block of blocks.slice(1).length ? blocks.slice(1) : blocks) {
    const f = fields(block);
    const action = f.get('action')?.toLowerCase();
    const status = f.get('status') ?? '';
    if (!action || !['failed', 'delayed'].includes(action)) continue;
    const recipient = typed(f.get('final-recipient')) ?? typed(f.get('original-recipient'));
    const diagnostic = typed(f.get('diagnostic-code')) ?? '';
    const kind: BounceKind = action === 'failed' && status.startsWith('5') ? 'hard' : 'soft';
    reports.push({ kind, recipient, status: status || action, reason: `${status} ${diagnostic}`.trim().slice(0, 300) || action });
  }
  return reports;
}

/** A feedback report (message/feedback-report part): a complaint about the original message. */
export function parseFeedbackReport(text: string): BounceReport | undefined {
  const f = fields(text);
  const type = f.get('feedback-type')?.toLowerCase();
  if (!type) return undefined;
  if (type !== 'abuse' && type !== 'fraud' && type !== 'other' && type !== 'virus') return undefined;
  return {
    kind: 'complaint',
    recipient: typed(f.get('original-rcpt-to')),
    status: 'complaint',
    reason: `complaint (${type}) via feedback report`,
  };
}

const REPORT_PART =
  /^content-type:\s*message\/(delivery-status|global-delivery-status|feedback-report)\b[^\n]*\n(?:[ \t][^\n]*\n|[a-z-]+:[^\n]*\n)*\r?\n([\s\S]*?)(?=^--|(?![\s\S]))/gim;

/**
 * The reports in a raw bounce message (multipart/report). Read from the raw text rather than through
 * mailparser, which folds message/delivery-status parts into the message's text.
 */
export function reportsFromMessage(raw: string): BounceReport[] {
  const reports: BounceReport[] = [];
  for (const m of raw.matchAll(REPORT_PART)) {
    const body = m[2] ?? '';
    if (m[1]!.toLowerCase() === 'feedback-report') {
      const r = parseFeedbackReport(body);
      if (r) reports.push(r);
    } else reports.push(...parseDeliveryStatus(body));
  }
  return reports;
}
