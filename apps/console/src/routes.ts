/**
 * The live view's HTTP side: the page, the arrows as Server-Sent Events, and JSON reads of the
 * arrows, one message as it was on the wire, and the counters.
 */
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';
import fastifyStatic from '@fastify/static';
import { Type } from 'typebox';
import { NotFound, type HttpApp } from '@fjord/service-kit';
import { ofRequest, type BusFeed, type FeedArrow } from './feed.js';

/** Where index.html, console.js and console.css are: beside src/ and dist/ alike. */
const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

/** A browser that reads slower than this much backlog is cut off; EventSource reconnects and catches up. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const COUNTERS_EVERY_MS = 1_000;
const KEEPALIVE_EVERY_MS = 15_000;

const RequestFilter = Type.Object({
  request_id: Type.Optional(Type.String({ maxLength: 255, description: 'Only the arrows of this request (its own, and the replies to its calls).' })),
  after: Type.Optional(Type.Integer({ minimum: 0, description: 'Only the arrows after this seq.' })),
});

export async function registerConsoleRoutes(app: HttpApp, feed: BusFeed, describeTaps: () => string[]): Promise<void> {
  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/', decorateReply: false, index: ['index.html'] });

  app.get('/api/arrows', { schema: { summary: 'The kept arrows', querystring: RequestFilter } }, async (request) => ({
    lanes: feed.lanes(),
    arrows: feed.recent({ after: request.query.after, requestId: request.query.request_id }),
    last_seq: feed.lastSeq,
  }));

  app.get(
    '/api/messages/:seq',
    { schema: { summary: 'One arrow and its message as it was on the wire', params: Type.Object({ seq: Type.Integer({ minimum: 1 }) }) } },
    async (request) => {
      const found = feed.message(request.params.seq);
      if (!found) throw new NotFound(`Arrow ${request.params.seq} is not kept (the console keeps the latest ones only).`);
      return found;
    },
  );

  app.get('/api/counters', { schema: { summary: 'Messages and REST calls counted by topic and method since the console started' } }, async () => ({
    counters: feed.counters(),
    taps: describeTaps(),
    unreadable_messages: feed.unreadableMessages,
  }));

  const streams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.end();
  });

  app.get('/api/events', { schema: { summary: 'The arrows as they happen (Server-Sent Events)', querystring: RequestFilter } }, (request, reply) => {
    const lastEventId = Number(request.headers['last-event-id']);
    const after = Number.isInteger(lastEventId) && lastEventId > 0 ? lastEventId : (request.query.after ?? 0);
    const matches = request.query.request_id ? ofRequest(request.query.request_id) : () => true;
    const stream = reply.raw;
    reply.hijack();
    stream.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    streams.add(stream);

    const sentLanes = new Set<string>();
    const send = (event: string, data: unknown, id?: number) => {
      stream.write(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      if (stream.writableLength > MAX_BUFFERED_BYTES) stream.destroy();
    };
    const sendArrow = (arrow: FeedArrow) => {
      if (!matches(arrow)) return;
      if (!sentLanes.has(arrow.from) || !sentLanes.has(arrow.to)) {
        const lanes = feed.lanes();
        for (const lane of lanes) sentLanes.add(lane);
        send('lanes', lanes);
      }
      send('arrow', arrow, arrow.seq);
    };
    let countersSent = '';
    const sendCounters = () => {
      const counters = JSON.stringify(feed.counters());
      if (counters === countersSent) return;
      countersSent = counters;
      stream.write(`event: counters\ndata: ${counters}\n\n`);
    };

    send('hello', { taps: describeTaps(), last_seq: feed.lastSeq });
    for (const arrow of feed.recent({ after })) sendArrow(arrow);
    sendCounters();
    const unsubscribe = feed.subscribe(sendArrow);
    const counters = setInterval(sendCounters, COUNTERS_EVERY_MS);
    const keepalive = setInterval(() => stream.write(': keepalive\n\n'), KEEPALIVE_EVERY_MS);
    stream.on('close', () => {
      unsubscribe();
      clearInterval(counters);
      clearInterval(keepalive);
      streams.delete(stream);
    });
  });
}
