import MailComposer from 'nodemailer/lib/mail-composer';
import MimeNode from 'nodemailer/lib/mime-node';
import * as mimeFuncs from 'nodemailer/lib/mime-funcs';
import * as qp from 'nodemailer/lib/qp';
import type { Locale } from '../config/index.js';
import { ComposeError, listUnsubscribeValue, type ComposeInput } from './compose-message.js';
import { bulkHeaders, type PreparedHeader } from './list-headers.js';
import { headerText } from './escape.js';
import { compile, readerValues, type Compiled, type Reader } from './personalise.js';
import type { Placeholder } from './placeholders.js';

/**
 * A digest's MIME message built once per edition and section choice; each reader's copy is spliced
 * from pre-encoded pieces (about 10 µs instead of about 1 ms for composeMessage()).
 *
 * Why splicing is safe here:
 * - Both parts are quoted-printable. Every slice between two %%markers%% is encoded and wrapped at
 *   76 columns once; a reader's value is encoded alone and set between two soft line breaks (`=\r\n`,
 *   which decoding removes), so no line exceeds 76 characters and no encoded sequence is cut.
 * - The header lines that differ per reader (To, Message-ID, Date, List-Unsubscribe) are built with
 *   the same nodemailer functions MailComposer uses; the others come from one MailComposer run.
 *   List-Unsubscribe stays one line, exactly as composeMessage() writes it.
 * - The multipart boundary is fixed per template: a reader whose encoded values contain it (a
 *   hostile name) is refused here (null), and the caller builds that copy with composeMessage().
 * test/unit/render.message-template.test.ts holds the result to composeMessage()'s, parsed.
 */
export interface TemplateInput {
  readonly from: string;
  readonly subject: string;
  /** The rendered edition, personal parts still %%markers%%. */
  readonly html: string;
  readonly text: string;
  readonly list?: ComposeInput['list'];
  readonly headers?: ComposeInput['headers'];
  /** The greeting's language (config.locale); default English. */
  readonly locale?: Locale;
}

export interface TemplateReader extends Reader {
  readonly to: ComposeInput['to'];
  readonly messageId: string;
  readonly date?: Date;
  readonly listUnsubscribeMailto?: string;
}

/** One reader's raw MIME, or null when this reader must be built by composeMessage() instead. */
export type MessageTemplate = (reader: TemplateReader) => Buffer | null;

const SOFT_BREAK = '=\r\n';
const PLACEHOLDER_TO = 'to@placeholder.invalid';
const PLACEHOLDER_ID = '<id@placeholder.invalid>';
const PLACEHOLDER_URL = 'https://placeholder.invalid/u/x';

interface EncodedPart {
  /** Already quoted-printable and wrapped (ASCII bytes); joined around each reader's encoded values. */
  readonly slices: readonly Buffer[];
  readonly keys: readonly Placeholder[];
}

function crlf(s: string): string {
  return s.replace(/\r?\n/g, '\r\n');
}

/**
 * Quoted-printable, wrapped, with no line starting with a dot: a line's leading "." is written
 * "=2E" (the same octet once decoded). SMTP would otherwise need every such line doubled
 * (dot-stuffing, RFC 5321 4.5.2), and the sender would copy each 45 KB message to do it: four
 * copies a reader, most of the sender's garbage collection in bench/run.ts --profile. Wrapped at 74
 * so the two characters added keep the line within QP's 76.
 */
function encodeText(s: string): string {
  return qp.wrap(qp.encode(Buffer.from(s, 'utf-8')), 74).replace(LEADING_DOT, '$1=2E');
}
const LEADING_DOT = /(^|\n)\./g;

function encodePart(c: Compiled): EncodedPart {
  return { slices: c.slices.map((s) => Buffer.from(encodeText(s), 'latin1')), keys: c.keys };
}

/** Appends one part's pieces to `out`; false when a value would contain the boundary. */
function fillPart(out: Buffer[], part: EncodedPart, values: Record<Placeholder, string>, boundary: string): boolean {
  out.push(part.slices[0]!);
  for (let i = 0; i < part.keys.length; i++) {
    const value = encodeText(values[part.keys[i]!]);
    if (value.includes(boundary)) return false;
    out.push(Buffer.from(SOFT_BREAK + value + SOFT_BREAK, 'latin1'), part.slices[i + 1]!);
  }
  return true;
}

/** `Date` as MailComposer writes it, formatted at most once a second. */
let dateCache = { at: -1, value: '' };
function dateHeader(date: Date | undefined): string {
  const d = date ?? new Date();
  const second = Math.floor(d.getTime() / 1000);
  if (date || second !== dateCache.at) {
    const value = `Date: ${d.toUTCString().replace(/GMT/, '+0000')}`;
    if (date) return value;
    dateCache = { at: second, value };
  }
  return dateCache.value;
}

/** Header lines of a raw message, each with its folded continuation lines. */
function headerLines(head: string): string[] {
  const lines: string[] = [];
  for (const line of head.split('\r\n')) {
    if (/^[ \t]/.test(line) && lines.length > 0) lines[lines.length - 1] += `\r\n${line}`;
    else lines.push(line);
  }
  return lines;
}

export async function compileMessageTemplate(input: TemplateInput): Promise<MessageTemplate> {
  // One MailComposer run gives the shared header lines (From, Subject, MIME-Version, Content-Type
  // with its boundary, extra headers) exactly as composeMessage() writes them.
  const headers: Record<string, PreparedHeader | string> = {
    ...(input.list ? bulkHeaders(input.list) : {}),
    'List-Unsubscribe': { prepared: true, value: `<${PLACEHOLDER_URL}>` },
    'List-Unsubscribe-Post': { prepared: true, value: 'List-Unsubscribe=One-Click' },
  };
  for (const [key, value] of Object.entries(input.headers ?? {})) {
    if (!/^[^\r\n]*$/.test(value) || !/^[A-Za-z0-9-]+$/.test(key)) throw new ComposeError(`header ${key} must be one line`);
    headers[key] = value;
  }
  const skeleton = await new Promise<Buffer>((resolve, reject) =>
    new MailComposer({
      from: input.from,
      to: PLACEHOLDER_TO,
      subject: headerText(input.subject),
      messageId: PLACEHOLDER_ID,
      date: new Date(0),
      text: 'text',
      html: 'html',
      headers,
      textEncoding: 'quoted-printable',
    })
      .compile()
      .build((err, message) => (err ? reject(err) : resolve(message))),
  );
  const raw = skeleton.toString('utf-8');
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  const boundary = /boundary="([^"]+)"/.exec(head)?.[1];
  if (!boundary) throw new ComposeError('message template: no multipart boundary');

  type Slot = 'to' | 'id' | 'date' | 'unsubscribe';
  const layout: (string | Slot)[] = headerLines(head).map((line) => {
    if (line.startsWith('To: ')) return 'to';
    if (line.startsWith('Message-ID: ')) return 'id';
    if (line.startsWith('Date: ')) return 'date';
    if (line.startsWith('List-Unsubscribe: ')) return 'unsubscribe';
    return line;
  });
  const partHead = (type: string) =>
    `--${boundary}\r\nContent-Type: text/${type}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n`;
  const textHead = Buffer.from(`\r\n\r\n${partHead('plain')}`, 'latin1');
  const htmlHead = Buffer.from(`\r\n${partHead('html')}`, 'latin1');
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
  const text = encodePart(compile(crlf(input.text)));
  const html = encodePart(compile(crlf(input.html)));
  // One MimeNode for every reader's To: MimeNode.encodeHeaderValue() builds a node per call, and
  // each node draws a random boundary (randomBytes: 2 % of the sender's CPU in the profile).
  const headerNode = new MimeNode(false, {});

  return (reader) => {
    if (!/^<[^<>\s@]+@[^<>\s@]+>$/.test(reader.messageId)) throw new ComposeError(`Message-ID "${reader.messageId}" is not <local@domain>`);
    const values = readerValues(reader, input.locale);
    const body: Buffer[] = [textHead];
    if (!fillPart(body, text, values.text, boundary)) return null;
    body.push(htmlHead);
    if (!fillPart(body, html, values.html, boundary)) return null;
    body.push(tail);
    const to = typeof reader.to === 'string' ? reader.to : { name: reader.to.name, address: reader.to.address };
    const lines = layout.map((slot) => {
      switch (slot) {
        case 'to':
          return mimeFuncs.foldLines(`To: ${headerNode.encodeHeaderValue('To', to)}`, 76);
        case 'id':
          return `Message-ID: ${reader.messageId}`;
        case 'date':
          return dateHeader(reader.date);
        case 'unsubscribe':
          return `List-Unsubscribe: ${listUnsubscribeValue(reader.unsubscribeUrl, reader.listUnsubscribeMailto)}`;
        default:
          return slot;
      }
    });
    return Buffer.concat([Buffer.from(lines.join('\r\n'), 'utf-8'), ...body]);
  };
}
