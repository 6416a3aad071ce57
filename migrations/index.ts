import { InitialSchema1732300000000 } from './1732300000000-initial-schema';
import { AudienceModelKind1764600000000 } from './1764600000000-audience-model-kind';
import { DeadLetters1764700000000 } from './1764700000000-dead-letters';
import { ServingState1764800000000 } from './1764800000000-serving-state';
import { AudienceReceivedAt1764900000000 } from './1764900000000-audience-received-at';
import { OutboxSweepIndex1765000000000 } from './1765000000000-outbox-sweep-index';
import { UserVectorFeed1765100000000 } from './1765100000000-user-vector-feed';
import { AudienceFeed1765150000000 } from './1765150000000-audience-feed';
import { AudienceLz41765200000000 } from './1765200000000-audience-lz4';
import { SemanticIds1765300000000 } from './1765300000000-semantic-ids';
import { AudienceRules1765400000000 } from './1765400000000-audience-rules';
import { SearchModelKind1765500000000 } from './1765500000000-search-model-kind';
import { NextUserVectors1765600000000 } from './1765600000000-next-user-vectors';
import { UserDrawKey1765700000000 } from './1765700000000-user-draw-key';

/** Every migration, in order. Listed explicitly so compiled and ts-jest runs load the same set. */
export const migrations = [
  InitialSchema1732300000000,
  AudienceModelKind1764600000000,
  DeadLetters1764700000000,
  ServingState1764800000000,
  AudienceReceivedAt1764900000000,
  OutboxSweepIndex1765000000000,
  UserVectorFeed1765100000000,
  AudienceFeed1765150000000,
  AudienceLz41765200000000,
  SemanticIds1765300000000,
  AudienceRules1765400000000,
  SearchModelKind1765500000000,
  NextUserVectors1765600000000,
  UserDrawKey1765700000000,
];
