import fastifyHelmet from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';

/** Headers every response has anyway; only what helmet adds is kept. */
const ORDINARY = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive']);

/**
 * The headers @fastify/helmet sets, computed once: with a fixed configuration they do not depend
 * on the request, and running helmet's middleware chain on every request cost the gate ~5% of
 * its CPU. Read off a throwaway Fastify instance that registers the plugin, so the set is exactly
 * the plugin's (helmet's defaults), then set on every response by one onRequest hook.
 */
export async function registerSecurityHeaders(fastify: FastifyInstance): Promise<void> {
  const probe = Fastify();
  await probe.register(fastifyHelmet);
  probe.get('/', (_req, reply) => reply.send('ok'));
  const res = await probe.inject({ method: 'GET', url: '/' });
  await probe.close();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers))
    if (!ORDINARY.has(name) && value !== undefined) headers[name] = String(value);
  fastify.addHook('onRequest', (_req, reply, done) => {
    reply.headers(headers);
    done();
  });
}
