import { randomBytes } from 'node:crypto';

export interface RenderedMail {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

/** Each slot's value for one mail: HTML-escaped for the html part, as text for the text part. */
export interface SlotValues<S extends string> {
  readonly html: Readonly<Record<S, string>>;
  readonly text: Readonly<Record<S, string>>;
}

interface Rendered {
  readonly mail: RenderedMail;
  readonly markers: Readonly<Record<string, string>>;
}

const rendered = new Map<string, Promise<Rendered>>();

/**
 * The mails about a reader's subscription (the confirmation, the notice) are the same for every
 * reader of a site and language but for a greeting and a link or two. MJML runs once per `key` (about
 * 10 ms, which a burst of sign-ups on two cores would otherwise queue behind), with a random marker
 * of letters and digits in each slot, which no input can forge; each mail then fills the markers in.
 */
export async function renderMarked<S extends string>(
  key: string,
  slots: readonly S[],
  render: (markers: Readonly<Record<S, string>>) => Promise<RenderedMail>,
  values: SlotValues<S>,
): Promise<RenderedMail> {
  let entry = rendered.get(key);
  if (!entry) {
    const markers = Object.fromEntries(slots.map((slot) => [slot, `m${randomBytes(12).toString('hex')}`])) as Record<S, string>;
    entry = render(markers).then((mail) => ({ mail, markers }));
    entry.catch(() => rendered.delete(key));
    rendered.set(key, entry);
  }
  const { mail, markers } = await entry;
  const fill = (s: string, v: Readonly<Record<S, string>>) => slots.reduce((out, slot) => out.split(markers[slot]!).join(v[slot]), s);
  return { subject: mail.subject, html: fill(mail.html, values.html), text: fill(mail.text, values.text) };
}
