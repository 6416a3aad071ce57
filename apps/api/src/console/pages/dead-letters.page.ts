import { actionButton, badge, esc, layout, table, time, type Html } from '../html';
import type { DeadLetterView } from '../dead-letter-admin.service';

export function deadLettersPage(
  topic: string | null,
  topics: Array<{ topic: string; total: number; pending: number }>,
  letters: DeadLetterView[],
): Html {
  const topicLinks = topics.length
    ? `<nav aria-label="Dead-letter topics"><ul>
<li><a href="/console/dead-letters"${topic === null ? ' aria-current="page"' : ''}>All topics</a></li>
${topics
  .map(
    (t) =>
      `<li><a href="/console/dead-letters?${new URLSearchParams({ topic: t.topic }).toString()}"${
        topic === t.topic ? ' aria-current="page"' : ''
      }>${esc(t.topic)}</a> <span class="muted">(${t.pending} pending of ${t.total})</span></li>`,
  )
  .join('\n')}</ul></nav>`
    : '';
  const rows = letters.map((l) => [
    `<code>${esc(l.id)}</code>`,
    `<code>${esc(l.topic)}[${l.partition}]@${esc(l.offset)}</code>`,
    time(l.failedAt),
    esc(l.reason),
    l.preview === null
      ? '<span class="muted">(no value)</span>'
      : `<code>${esc(l.preview)}${l.truncatedPreview ? '…' : ''}</code> <span class="muted">(${l.size} B)</span>`,
    l.replayedAt ? `${badge('ok', 'replayed')} ${time(l.replayedAt)}` : badge('bad', 'pending'),
    l.replayedAt
      ? ''
      : actionButton({
          label: `Replay ${l.id}`,
          post: '/v1/dead-letters/replay',
          body: { ids: [l.id] },
          pending: `Replaying dead letter ${l.id}…`,
          done: `Dead letter ${l.id} published again to ${l.topic}.`,
        }),
  ]);
  return layout({
    title: 'Dead letters',
    section: 'dead-letters',
    body: `<h1>Dead letters${topic ? ` of ${esc(topic)}` : ''}</h1>
<p class="muted">Records a consumer refused, newest first, kept whole in PostgreSQL. Replay publishes one again to its source topic (after a fix); it needs the API key.</p>
${topicLinks}
${table({
  label: 'Dead letters',
  head: ['Id', 'Source', 'Failed', 'Reason', 'Payload preview', 'State', 'Action'],
  rows,
  empty: 'No dead letters.',
})}`,
  });
}
