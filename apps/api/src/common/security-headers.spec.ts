import { expect } from '@jest/globals';
import fastifyHelmet from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerSecurityHeaders } from './security-headers';

async function headersOf(setUp: (f: FastifyInstance) => Promise<unknown>) {
  const f = Fastify();
  await setUp(f);
  f.get('/x', (_req, reply) => reply.send({ a: 1 }));
  const res = await f.inject({ method: 'GET', url: '/x' });
  await f.close();
  const headers: Record<string, unknown> = { ...res.headers };
  delete headers.date;
  return headers;
}

describe('registerSecurityHeaders', () => {
  it('sends exactly the headers @fastify/helmet sends', async () => {
    const plugin = await headersOf(async (f) => {
      await f.register(fastifyHelmet);
    });
    const fixed = await headersOf((f) => registerSecurityHeaders(f));
    expect(fixed).toEqual(plugin);
    expect(fixed['content-security-policy']).toBeDefined();
  });
});
