import multipart, { type FastifyMultipartBaseOptions } from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * A multipart/form-data body that cannot be read: cut short, without its boundary, a malformed part
 * header. The client's doing, so a 400 that says so, never a 500.
 */
export class MalformedFormError extends Error {
  readonly statusCode = 400;
  readonly code = 'malformed_form';
  constructor(readonly detail: string) {
    super(`The form could not be read (multipart/form-data: ${detail}). Send it again.`);
    this.name = 'MalformedFormError';
  }
}

/**
 * multipart/form-data bodies for every route of `scope`, read into a plain record of fields (a field
 * sent twice: an array), as urlencoded forms are. The fields are read here rather than by
 * @fastify/multipart's attachFieldsToBody: its parser (busboy) fails on a truncated or malformed body
 * with a plain Error, which the error handler can only take for a fault of ours (a 500). Here every
 * such failure becomes a MalformedFormError; the plugin's own refusals (too many parts, a file where
 * none is taken: 413) keep their status.
 */
export async function formDataBodies(scope: FastifyInstance, limits: NonNullable<FastifyMultipartBaseOptions['limits']>): Promise<void> {
  await scope.register(multipart, { limits });
  scope.addHook('preValidation', async (request) => {
    if (request.isMultipart()) request.body = await readFields(request);
  });
}

async function readFields(request: FastifyRequest): Promise<Record<string, string | string[]>> {
  const body: Record<string, string | string[]> = {};
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        // Drained, or the parser waits on it for ever; a route that takes no files has `files: 0` and never gets here.
        await part.toBuffer();
        continue;
      }
      const value = String(part.value);
      const before = body[part.fieldname];
      body[part.fieldname] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
    }
  } catch (err) {
    const status = (err as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) throw err;
    throw new MalformedFormError((err as Error).message);
  }
  return body;
}
