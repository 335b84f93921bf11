import type { Config } from '../config/index.js';
import type { Db, DigestSection, Edition } from '../db/index.js';
import {
  ALL_SECTIONS,
  compileMessageTemplate,
  composeMessage,
  editionInputFor,
  feedbackId,
  personalise,
  renderEdition,
  sectionKey,
  type BulkMail,
  type MessageTemplate,
} from '../render/index.js';
import { clickLinks, readerClickToken } from '../stories/index.js';
import { preferencesUrl, unsubscribeUrl } from '../subscribers/index.js';
import type { ClaimedDelivery } from './claim-deliveries.js';

/** Builds the raw MIME of one delivery of one edition. */
export type ComposeDelivery = (delivery: ClaimedDelivery, messageId: string) => Promise<Buffer>;

/** Per edition, once per process: what a worker needs to build that edition's messages. */
export type MessageSource = (editionId: number) => Promise<ComposeDelivery>;

interface Rendered {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  /** The MIME message built once for this rendering; each reader's copy is spliced from it. */
  readonly template: MessageTemplate;
}

/**
 * The digest's messages: the edition as rendered once (editions.html/text, with personal markers)
 * for readers of both sections; a reader who chose fewer sections gets a rendering for that choice,
 * made once per process and edition. Each reader's copy is spliced from a MIME message built once
 * per rendering (compileMessageTemplate: string joins of pre-encoded pieces, about 20 µs); a reader
 * the template refuses (a hostile name holding the boundary) gets personalise() + composeMessage().
 * Never MJML per reader.
 */
export function digestMessageSource(db: Db, config: Config): MessageSource {
  const editions = new Map<number, Promise<ComposeDelivery>>();
  return (editionId) => {
    let found = editions.get(editionId);
    if (!found) {
      found = load(db, config, editionId);
      found.catch(() => editions.delete(editionId));
      editions.set(editionId, found);
    }
    return found;
  };
}

async function load(db: Db, config: Config, editionId: number): Promise<ComposeDelivery> {
  const edition = await db.selectFrom('editions').selectAll().where('id', '=', editionId).executeTakeFirstOrThrow();
  const full = sectionKey(ALL_SECTIONS);
  const list: BulkMail = { listId: config.email.listId, feedbackId: feedbackId(edition.id, edition.kind, config.installId) };
  const renders = new Map<string, Promise<Rendered>>();
  renders.set(
    full,
    withTemplate(config, list, { subject: edition.subject ?? config.site.name, html: edition.html ?? '', text: edition.text ?? '' }),
  );
  const renderFor = (sections: DigestSection[]) => {
    const key = sectionKey(sections);
    let r = renders.get(key);
    if (!r) {
      r = renderSections(db, config, edition, sections).then((x) => withTemplate(config, list, x));
      renders.set(key, r);
    }
    return r;
  };
  return async (delivery, messageId) => {
    const rendered = await renderFor(delivery.sections);
    const link = { id: delivery.subscriberId, token_version: delivery.tokenVersion };
    const unsubscribe = unsubscribeUrl(config, link, editionId);
    const reader = {
      name: delivery.name,
      unsubscribeUrl: unsubscribe,
      preferencesUrl: preferencesUrl(config, link, editionId),
      ...(config.clickTracking === 'individual' ? { clickToken: readerClickToken(config.keys, link, editionId) } : {}),
    };
    const to = delivery.name ? { name: delivery.name, address: delivery.email } : delivery.email;
    const spliced = rendered.template({ ...reader, to, messageId });
    if (spliced) return spliced;
    const parts = personalise(rendered, reader, config.locale);
    return composeMessage({
      from: config.mailFrom,
      to,
      subject: rendered.subject,
      html: parts.html,
      text: parts.text,
      messageId,
      listUnsubscribe: { url: unsubscribe },
      list,
    });
  };
}

async function withTemplate(config: Config, list: BulkMail, r: Omit<Rendered, 'template'>): Promise<Rendered> {
  return {
    ...r,
    template: await compileMessageTemplate({
      from: config.mailFrom,
      subject: r.subject,
      html: r.html,
      text: r.text,
      locale: config.locale,
      list,
    }),
  };
}

async function renderSections(db: Db, config: Config, edition: Edition, sections: DigestSection[]): Promise<Omit<Rendered, 'template'>> {
  const ids = edition.story_ids;
  const stories = ids.length ? await db.selectFrom('stories').selectAll().where('id', 'in', ids).execute() : [];
  const order = new Map(ids.map((id, i) => [id, i]));
  stories.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  return renderEdition(
    editionInputFor(config, {
      date: edition.date,
      slot: edition.slot,
      kind: edition.kind,
      stories: stories.filter((s) => s.kind === 'story'),
      blogs: stories.filter((s) => s.kind === 'blog'),
      sections,
      ...clickLinks(config, edition.id),
    }),
  );
}
