import { Module } from '@nestjs/common';
import { ApiKeyGuard } from '../common/api-key.guard';
import { SongsService } from '../songs/songs.service';
import {
  DeadLettersController,
  ModelsController,
  ReleaseListController,
  UserHistoryController,
} from './admin.controller';
import { ConsoleController } from './console.controller';
import { DeadLetterAdminService } from './dead-letter-admin.service';
import { ModelAdminService } from './model-admin.service';
import { ReleaseListService } from './release-list.service';
import { UserInsightService } from './user-insight.service';

/**
 * The web console at /console and the JSON endpoints it needs beyond the core API: release
 * list, user history, model versions and activation, dead letters and replay.
 */
@Module({
  controllers: [
    ConsoleController,
    ReleaseListController,
    UserHistoryController,
    ModelsController,
    DeadLettersController,
  ],
  providers: [
    ApiKeyGuard,
    SongsService,
    ReleaseListService,
    UserInsightService,
    ModelAdminService,
    DeadLetterAdminService,
  ],
})
export class ConsoleModule {}
