import { AudienceEntity } from './audience.entity';
import { InteractionEntity } from './interaction.entity';
import { ModelVersionEntity } from './model-version.entity';
import { ProcessedEventEntity } from './processed-event.entity';
import { SongEmbeddingEntity } from './song-embedding.entity';
import { SongEntity } from './song.entity';
import { UserVectorEntity } from './user-vector.entity';
import { UserEntity } from './user.entity';

export * from './audience.entity';
export * from './interaction.entity';
export * from './model-version.entity';
export * from './processed-event.entity';
export * from './song-embedding.entity';
export * from './song.entity';
export * from './user-vector.entity';
export * from './user.entity';

export const catalogEntities = [
  SongEntity,
  UserEntity,
  InteractionEntity,
  ModelVersionEntity,
  SongEmbeddingEntity,
  UserVectorEntity,
  AudienceEntity,
  ProcessedEventEntity,
];
