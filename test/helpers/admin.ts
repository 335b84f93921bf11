import { expect } from 'vitest';
import { ADMIN_TOKEN } from './config.js';

export const FORM = 'application/x-www-form-urlencoded';
export const form = (data: Record<string, string>) => new URLSearchParams(data).toString();

/** Logs in through the real form; returns the session cookie and the CSRF token of its pages. */
export async function adminLogin(baseUrl: string, token = ADMIN_TOKEN): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${baseUrl}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': FORM },
    body: form({ token }),
  });
  expect(res.status).toBe(303);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const page = await (await fetch(`${baseUrl}/admin`, { headers: { cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
  expect(csrf).toBeTruthy();
  return { cookie, csrf: csrf! };
}

/** POSTs an admin form as the browser would (same origin, session cookie, CSRF field). */
export function adminPost(
  baseUrl: string,
  path: string,
  session: { cookie: string; csrf: string },
  data: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: session.cookie, 'content-type': FORM, origin: baseUrl },
    body: form({ _csrf: session.csrf, ...data }),
  });
}
