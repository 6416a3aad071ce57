/**
 * Topic names of DESIGN.md §4. Every name is prefixed by `kafka.topicPrefix` (empty in
 * production, a unique value in tests for isolation). A prefix that does not already end with
 * `.`, `-` or `_` is joined with a `.` (`"e2e-42"` → `"e2e-42.song.released"`).
 */
export const BASE_TOPICS = {
  songReleased: 'song.released',
  songAudienceSelected: 'song.audience.selected',
  userInteraction: 'user.interaction',
  userProfile: 'user.profile',
  songExposed: 'song.exposed',
} as const;

export type TopicKey = keyof typeof BASE_TOPICS;

/** Suffix of a topic's dead-letter topic. */
export const DLQ_SUFFIX = '.dlq';

export interface TopicNames {
  songReleased: string;
  songAudienceSelected: string;
  userInteraction: string;
  userProfile: string;
  songExposed: string;
  songReleasedDlq: string;
  songAudienceSelectedDlq: string;
  userInteractionDlq: string;
  userProfileDlq: string;
  songExposedDlq: string;
}

const LEGAL = /^[A-Za-z0-9._-]+$/;

/** `<prefix><sep><base>`; see the module comment for the separator rule. */
export function prefixed(prefix: string, base: string): string {
  if (!prefix) return base;
  const sep = /[._-]$/.test(prefix) ? '' : '.';
  const name = `${prefix}${sep}${base}`;
  assertTopicName(name);
  return name;
}

/** Dead-letter topic of a (full, already prefixed) topic name. */
export function dlqTopic(topic: string): string {
  return `${topic}${DLQ_SUFFIX}`;
}

export function isDlqTopic(topic: string): boolean {
  return topic.endsWith(DLQ_SUFFIX);
}

/** All topic names for a prefix. Every topic has its `.dlq`, since every topic may be consumed. */
export function topicNames(prefix = ''): TopicNames {
  const songReleased = prefixed(prefix, BASE_TOPICS.songReleased);
  const songAudienceSelected = prefixed(prefix, BASE_TOPICS.songAudienceSelected);
  const userInteraction = prefixed(prefix, BASE_TOPICS.userInteraction);
  const userProfile = prefixed(prefix, BASE_TOPICS.userProfile);
  const songExposed = prefixed(prefix, BASE_TOPICS.songExposed);
  return {
    songReleased,
    songAudienceSelected,
    userInteraction,
    userProfile,
    songExposed,
    songReleasedDlq: dlqTopic(songReleased),
    songAudienceSelectedDlq: dlqTopic(songAudienceSelected),
    userInteractionDlq: dlqTopic(userInteraction),
    userProfileDlq: dlqTopic(userProfile),
    songExposedDlq: dlqTopic(songExposed),
  };
}

/** The full list of topics the application needs (main topics first, then their DLQs). */
export function allTopics(prefix = ''): string[] {
  const t = topicNames(prefix);
  return [
    t.songReleased,
    t.songAudienceSelected,
    t.userInteraction,
    t.userProfile,
    t.songExposed,
    t.songReleasedDlq,
    t.songAudienceSelectedDlq,
    t.userInteractionDlq,
    t.userProfileDlq,
    t.songExposedDlq,
  ];
}

/** Kafka's own rules: 1..249 characters of [A-Za-z0-9._-], not "." or "..". */
export function assertTopicName(name: string): void {
  if (!name || name.length > 249 || !LEGAL.test(name) || name === '.' || name === '..') {
    throw new Error(`invalid Kafka topic name ${JSON.stringify(name)}`);
  }
}

/**
 * One consumer group per consumed topic: members of a Kafka group must all subscribe to the same
 * topics, so two consumers of one process (releases, interactions) sharing a group id would
 * each be handed the other's partitions.
 */
export function consumerGroup(baseGroupId: string, topic: TopicKey): string {
  return `${baseGroupId}.${BASE_TOPICS[topic]}`;
}
