import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseVerpAddress, recordBounce } from '../delivery/index.js';
import { requireAdminToken } from './admin/admin-auth.js';
import type { WebDeps } from './web-deps.js';

/**
 * POST /api/bounces (Bearer ADMIN_TOKEN): an operator's script, or a small adapter for a provider
 * without a route of its own (SES, Mailgun, Postmark and SendGrid post, signed, to theirs:
 * bounce-webhooks.route.ts). One object or an array:
 *   {"type": "bounce" | "complaint", "email": "…", "delivery_id": 123, "verp": "bounces+123@…",
 *    "permanent": true, "reason": "550 5.1.1 user unknown"}
 * `email`, `delivery_id` or `verp` names the reader; a permanent bounce or a complaint suppresses the
 * address, a temporary bounce (`"permanent": false`) is only logged.
 */
const bounceSchema = z
  .object({
    type: z.enum(['bounce', 'complaint']),
    email: z.string().min(3).max(320).optional(),
    delivery_id: z.number().int().positive().optional(),
    verp: z.string().max(320).optional(),
    permanent: z.boolean().default(true),
    reason: z.string().max(1000).optional(),
  })
  .refine((b) => b.email || b.delivery_id || b.verp, { message: 'name the reader: email, delivery_id or verp' });

export function bouncesRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.post('/api/bounces', { onRequest: requireAdminToken(deps) }, async (request, reply) => {
    const items = Array.isArray(request.body) ? request.body : [request.body];
    if (items.length > 1000) return reply.code(413).send({ error: 'batch_too_large', message: 'At most 1000 bounces per request.' });
    const errors: { index: number; message: string }[] = [];
    let recorded = 0;
    let ignored = 0;
    for (const [index, item] of items.entries()) {
      const parsed = bounceSchema.safeParse(item);
      if (!parsed.success) {
        errors.push({ index, message: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
        continue;
      }
      const b = parsed.data;
      const verpId =
        b.verp && deps.config.delivery.bounceAddress ? parseVerpAddress(deps.config.delivery.bounceAddress, b.verp) : undefined;
      const result = await recordBounce(deps.db, deps.log, {
        kind: b.type === 'complaint' ? 'complaint' : b.permanent ? 'hard' : 'soft',
        deliveryId: b.delivery_id ?? verpId,
        email: b.email,
        reason: (b.reason ?? `${b.type} via POST /api/bounces`).replace(/\s+/g, ' ').slice(0, 500),
      });
      if (result.recorded) recorded += 1;
      else ignored += 1;
    }
    return reply.code(errors.length > 0 ? 422 : 200).send({ recorded, ignored, errors });
  });
}
