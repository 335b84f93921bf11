import mjml2html from 'mjml';

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
    const result = await mjml2html(source, { validationLevel: 'strict', keepComments: false, fonts: {}, beautify: false, minify: false });
    return result.html;
  } catch (err) {
    const e = err as Error & { errors?: { formattedMessage?: string; message?: string }[] };
    const details = e.errors?.map((x) => x.formattedMessage ?? x.message).join('; ') ?? e.message;
    throw new RenderError('mjml_invalid', `${name}: MJML is invalid: ${details}`);
  }
}
