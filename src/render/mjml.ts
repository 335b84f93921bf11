import type mjml2htmlType from 'mjml';

// MJML is loaded on the first render, not with the module: it is the heaviest dependency (about
// 0.3 s of start-up), and most processes that import render/ (the CLI's read-only commands, serve
// before its first edition) never render.
let mjml: Promise<typeof mjml2htmlType> | undefined;
const loadMjml = () => (mjml ??= import('mjml').then((m) => m.default));

export class RenderError extends Error {
  constructor(
    readonly code: 'mjml_invalid' | 'template_invalid',
    message: string,
  ) {
    super(message);
  }
}

/**
 * MJML → HTML, strictly validated: a template error stops the render instead of shipping a broken
 * email. No web fonts (they are blocked or slow in most clients and cost bytes); comments dropped.
 * This is the expensive step (~20 ms); it runs once per edition and section choice, never per reader.
 */
export async function mjmlToHtml(source: string, name: string): Promise<string> {
  try {
    const mjml2html = await loadMjml();
    const result = await mjml2html(source, { validationLevel: 'strict', keepComments: false, fonts: {}, beautify: false, minify: false });
    return wrapperClass(result.html);
  } catch (err) {
    const e = err as Error & { errors?: { formattedMessage?: string; message?: string }[] };
    const details = e.errors?.map((x) => x.formattedMessage ?? x.message).join('; ') ?? e.message;
    throw new RenderError('mjml_invalid', `${name}: MJML is invalid: ${details}`);
  }
}

/**
 * Gives MJML's outer wrapper (the div inside <body> that holds the whole email) the class mj-body's
 * css-class puts on <body>. MJML writes mj-body's background-color inline on both and a class on
 * <body> only, so a dark-mode rule for the class could not reach the wrapper, and the margin around
 * the dark card stayed light. The wrapper is the one element with aria-roledescription="email"; a
 * title cannot fake that attribute, since MJML writes it escaped into aria-label.
 */
export function wrapperClass(html: string): string {
  const bodyClass = /<body\s[^>]*?\bclass="([^"]+)"/.exec(html)?.[1];
  if (!bodyClass) return html;
  return html.replace(' aria-roledescription="email"', ` class="${bodyClass}" aria-roledescription="email"`);
}
