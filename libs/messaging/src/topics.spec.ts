import { allTopics, assertTopicName, dlqTopic, isDlqTopic, prefixed, topicNames } from './topics';

describe('topic names', () => {
  it('are the bare names without a prefix', () => {
    expect(topicNames('')).toEqual({
      songReleased: 'song.released',
      songAudienceSelected: 'song.audience.selected',
      userInteraction: 'user.interaction',
      userProfile: 'user.profile',
      songExposed: 'song.exposed',
      songReleasedDlq: 'song.released.dlq',
      songAudienceSelectedDlq: 'song.audience.selected.dlq',
      userInteractionDlq: 'user.interaction.dlq',
      userProfileDlq: 'user.profile.dlq',
      songExposedDlq: 'song.exposed.dlq',
    });
  });

  it('join a prefix with "." unless it already ends with a separator', () => {
    expect(prefixed('e2e-42', 'song.released')).toBe('e2e-42.song.released');
    expect(prefixed('dev.', 'song.released')).toBe('dev.song.released');
    expect(prefixed('t_', 'user.interaction')).toBe('t_user.interaction');
    expect(prefixed('x-', 'user.interaction')).toBe('x-user.interaction');
    expect(topicNames('run1').userInteractionDlq).toBe('run1.user.interaction.dlq');
  });

  it('list all ten topics, main topics first', () => {
    expect(allTopics('p')).toEqual([
      'p.song.released',
      'p.song.audience.selected',
      'p.user.interaction',
      'p.user.profile',
      'p.song.exposed',
      'p.song.released.dlq',
      'p.song.audience.selected.dlq',
      'p.user.interaction.dlq',
      'p.user.profile.dlq',
      'p.song.exposed.dlq',
    ]);
    expect(new Set(allTopics('p')).size).toBe(10);
  });

  it('build and recognise dead-letter topics', () => {
    expect(dlqTopic('a.song.released')).toBe('a.song.released.dlq');
    expect(isDlqTopic('a.song.released.dlq')).toBe(true);
    expect(isDlqTopic('a.song.released')).toBe(false);
  });

  it('reject names Kafka would refuse', () => {
    expect(() => assertTopicName('')).toThrow();
    expect(() => assertTopicName('..')).toThrow();
    expect(() => assertTopicName('has space')).toThrow();
    expect(() => assertTopicName('x'.repeat(250))).toThrow();
    expect(() => prefixed('bad/prefix', 'song.released')).toThrow(/invalid Kafka topic name/);
    expect(() => assertTopicName('ok.name_1-2')).not.toThrow();
  });
});
