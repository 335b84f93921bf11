/**
 * What an edition costs to produce: MJML renders per second (once per edition and section choice)
 * and personalise() per reader (once per message). `npx tsx bench/render.ts`
 */
import { composeMessage, personalise, renderEdition, type EditionInput } from '../src/render/index.js';
import { fixtureStory, referenceArticle } from '../test/helpers/stories.js';

const input: EditionInput = {
  date: '2026-11-26',
  site: { name: 'The Morning Post', postalAddress: '1 Main Street, Springfield' },
  publicUrl: 'https://digest.example.com',
  stories: [
    referenceArticle(),
    ...Array.from({ length: 9 }, (_, i) =>
      fixtureStory({
        summary: 'A typical teaser of two sentences. '.repeat(4),
        image_url: i % 3 ? null : `https://img.example.com/${i}.jpg`,
      }),
    ),
  ],
  blogs: Array.from({ length: 5 }, () => fixtureStory({ kind: 'blog', summary: 'A blog teaser. '.repeat(8) })),
};

for (let i = 0; i < 5; i++) await renderEdition(input); // warm up
const renders = 50;
let t = performance.now();
let rendered = await renderEdition(input);
for (let i = 1; i < renders; i++) rendered = await renderEdition(input);
const renderMs = (performance.now() - t) / renders;

const readers = 100_000;
t = performance.now();
let bytes = 0;
for (let i = 0; i < readers; i++) {
  const p = personalise(rendered, {
    name: i % 2 ? `Reader ${i}` : null,
    unsubscribeUrl: `https://digest.example.com/u/${i.toString(36).padStart(43, 'x')}`,
    preferencesUrl: `https://digest.example.com/p/${i.toString(36).padStart(43, 'x')}`,
  });
  // Encoding flattens V8's string ropes: without it the joins would look cheaper than they are.
  bytes += Buffer.byteLength(p.html) + Buffer.byteLength(p.text);
}
const personaliseUs = ((performance.now() - t) * 1000) / readers;

const composes = 2000;
t = performance.now();
for (let i = 0; i < composes; i++) {
  const p = personalise(rendered, {
    name: 'Ann',
    unsubscribeUrl: `https://digest.example.com/u/t${i}`,
    preferencesUrl: `https://digest.example.com/p/t${i}`,
  });
  await composeMessage({
    from: 'd@example.com',
    to: `r${i}@example.com`,
    subject: rendered.subject,
    ...p,
    messageId: `<${i}@example.com>`,
    listUnsubscribe: { url: `https://digest.example.com/u/t${i}` },
  });
}
const composeMs = (performance.now() - t) / composes;

console.log(
  `15-story edition, HTML ${(Buffer.byteLength(rendered.html) / 1000).toFixed(1)} KB, text ${(Buffer.byteLength(rendered.text) / 1000).toFixed(1)} KB (node ${process.version})`,
);
console.log(`MJML render:      ${renderMs.toFixed(1)} ms per render = ${(1000 / renderMs).toFixed(0)} renders/s`);
console.log(
  `personalise():    ${personaliseUs.toFixed(1)} µs per reader (${readers} readers, incl. UTF-8 encoding; ${(bytes / readers / 1000).toFixed(1)} KB each)`,
);
console.log(`+ composeMessage: ${composeMs.toFixed(2)} ms per message (MailComposer, quoted-printable)`);
