/**
 * LIST_ID, the List-Id header (RFC 2919): `Name <label.namespace>` or just `label.namespace`. Mail
 * clients and filters group and label the digest by the id part, so it must not change once readers
 * have filters on it. Default: SITE_NAME <digest.PUBLIC_URL's host>.
 */
export interface ListId {
  /** The description (phrase); may be empty. */
  readonly name: string;
  /** `label.namespace`: a dot-atom with at least one dot, e.g. digest.example.com. */
  readonly id: string;
}

const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)+$/;

/** The parsed LIST_ID, or a sentence saying what is wrong with it. */
export function parseListId(value: string): { ok: true; listId: ListId } | { ok: false; problem: string } {
  const v = value.trim();
  const m = /^(.*?)\s*<([^<>]*)>$/.exec(v);
  const name = (m ? m[1]! : '').trim();
  const id = (m ? m[2]! : v).trim();
  if (!DOT_ATOM.test(id) || id.length > 255) {
    return {
      ok: false,
      problem: `LIST_ID "${value}" must be "Name <label.example.com>" or "label.example.com" (letters, digits, dots; at least one dot)`,
    };
  }
  if (/[\r\n<>]/.test(name)) return { ok: false, problem: `LIST_ID "${value}": the name part may not hold < > or line breaks` };
  return { ok: true, listId: { name, id: id.toLowerCase() } };
}

/** The default list id: the site's name, and digest.<host of PUBLIC_URL>. */
export function defaultListId(siteName: string, publicUrl: string): ListId {
  let host = 'localhost';
  try {
    host =
      new URL(publicUrl).hostname
        .toLowerCase()
        .replace(/^\[|\]$/g, '')
        .replace(/:/g, '-') || host;
  } catch {
    // PUBLIC_URL is validated before this runs; keep localhost for a value that is not.
  }
  return {
    name: siteName
      .replace(/[\r\n<>]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
    id: `digest.${host}`,
  };
}
