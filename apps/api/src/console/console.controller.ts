import {
  Controller,
  Get,
  Header,
  NotFoundException,
  Param,
  Query,
  Redirect,
  StreamableFile,
  UseFilters,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import * as fs from 'node:fs';
import { SongRepository, AudienceRepository } from '@debut/catalog';
import { GateService, NoActiveModelError, UnknownEntityError, type GateAnswer } from '@debut/serving';
import { SongsService } from '../songs/songs.service';
import { CONSOLE_CSS, CONSOLE_JS } from './assets';
import { ConsoleErrorFilter } from './console-error.filter';
import { DeadLetterAdminService } from './dead-letter-admin.service';
import { LimitQuery } from '../common/dto';
import { DeadLetterQuery, ReleaseListQuery, UserQuery } from './dto';
import { ModelAdminService } from './model-admin.service';
import { deadLettersPage } from './pages/dead-letters.page';
import { modelsPage } from './pages/models.page';
import { releasePage } from './pages/release.page';
import { releasesPage } from './pages/releases.page';
import { userPage, usersIndexPage } from './pages/user.page';
import { ReleaseListService } from './release-list.service';
import { UserInsightService } from './user-insight.service';

const HTML = 'text/html; charset=utf-8';
/** The audience size limit of the JSON API (`limit` ≤ 1000): the whole audience of any release. */
const WHOLE_AUDIENCE = 1000;

/** What a section shows when the model it needs is not active. */
function unavailable(e: unknown): string {
  if (e instanceof NoActiveModelError) return e.message;
  throw e;
}

/**
 * The release managers' console: server-rendered pages over the same services the JSON API
 * uses. Pages only read; write actions are buttons whose script posts to the key-protected
 * JSON endpoints with the key kept in the tab's session storage.
 */
@ApiExcludeController()
@UseFilters(ConsoleErrorFilter)
@Controller('console')
export class ConsoleController {
  constructor(
    private readonly releases: ReleaseListService,
    private readonly songsService: SongsService,
    private readonly songs: SongRepository,
    private readonly audiences: AudienceRepository,
    private readonly users: UserInsightService,
    private readonly models: ModelAdminService,
    private readonly deadLetters: DeadLetterAdminService,
    private readonly gate: GateService,
  ) {}

  @Get()
  @Redirect('/console/releases', 302)
  index(): void {}

  @Get('assets/console.css')
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('cache-control', 'no-cache')
  css(): string {
    return CONSOLE_CSS;
  }

  @Get('assets/console.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'no-cache')
  js(): string {
    return CONSOLE_JS;
  }

  @Get('releases')
  @Header('content-type', HTML)
  async releaseList(@Query() q: ReleaseListQuery): Promise<string> {
    return releasesPage(await this.releases.list({ search: q.q, page: q.page, pageSize: q.pageSize }));
  }

  @Get('releases/:id')
  @Header('content-type', HTML)
  async release(@Param('id') id: string, @Query() q: LimitQuery): Promise<string> {
    const song = await this.songs.findById(id);
    if (!song) throw new UnknownEntityError('song', [id]);
    const [audience, stored] = await Promise.all([
      this.songsService.audience(id, WHOLE_AUDIENCE).catch((e: unknown) => {
        if (e instanceof UnknownEntityError) return null;
        throw e;
      }),
      this.audiences.latest(id),
    ]);
    let similar: Awaited<ReturnType<SongsService['similar']>> | null = null;
    let similarProblem: string | null = null;
    try {
      similar = await this.songsService.similar(id, 10);
    } catch (e) {
      similarProblem = unavailable(e);
    }
    let sid: Awaited<ReturnType<SongsService['sidNeighbours']>> | null = null;
    let sidProblem: string | null = null;
    try {
      sid = await this.songsService.sidNeighbours(id, undefined, 10);
    } catch (e) {
      // No active model, or a version without a codebook: the page says so instead of failing.
      if (e instanceof NotFoundException) sidProblem = e.message;
      else sidProblem = unavailable(e);
    }
    const shown = Math.min(q.limit ?? 50, audience?.audience.length ?? 0);
    const related = new Set([
      ...(audience?.audience.slice(0, shown).flatMap((m) => m.because) ?? []),
      ...(similar?.similar.map((n) => n.songId) ?? []),
      ...(sid?.songs.map((n) => n.songId) ?? []),
    ]);
    const titles = new Map((await this.songs.findByIds([...related])).map((s) => [s.id, s.title] as const));
    return releasePage({
      song,
      audience: audience
        ? {
            ...audience,
            audience: audience.audience.slice(0, shown),
            receivedAt: stored?.receivedAt ?? null,
          }
        : null,
      scores: audience?.audience.map((m) => m.score) ?? [],
      explored: audience?.audience.filter((m) => m.explore).length ?? 0,
      shown,
      similar,
      similarProblem,
      sid,
      sidProblem,
      titles,
    });
  }

  @Get('releases/:id/audience.csv')
  @Header('content-type', 'text/csv; charset=utf-8')
  @Header('content-disposition', 'attachment; filename="audience.csv"')
  async audienceCsv(@Param('id') id: string): Promise<string> {
    const a = await this.songsService.audience(id, WHOLE_AUDIENCE);
    const cell = (v: string) => {
      const s = String(v ?? '');
      // Quoted, and a leading formula character neutralised (spreadsheets would evaluate it).
      return `"${(/^[=+\-@\t\r]/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"`;
    };
    const lines = [
      [
        'rank',
        'user_id',
        'score',
        'gate_pass',
        'because',
        'song_id',
        'model_version',
        'method',
        'selected_at',
        'explore',
      ].join(','),
      ...a.audience.map((m, i) =>
        [
          i + 1,
          cell(m.userId),
          m.score,
          m.gatePass === null ? '' : m.gatePass,
          cell(m.because.join(' ')),
          cell(a.songId),
          cell(a.modelVersion),
          cell(a.method),
          a.selectedAt,
          m.explore === true,
        ].join(','),
      ),
    ];
    return lines.join('\r\n') + '\r\n';
  }

  @Get('users')
  @Header('content-type', HTML)
  async userIndex(@Query() q: UserQuery): Promise<string> {
    if (q.id) return this.userView(q.id.trim());
    return usersIndexPage(await this.users.sample(12));
  }

  @Get('users/:id')
  @Header('content-type', HTML)
  user(@Param('id') id: string): Promise<string> {
    return this.userView(id);
  }

  private async userView(userId: string): Promise<string> {
    const history = await this.users.history(userId, 20);
    let gate: Awaited<ReturnType<UserInsightService['coldPoolGate']>> | null = null;
    let recommendations: GateAnswer | null = null;
    let gateProblem: string | null = null;
    try {
      [gate, recommendations] = await Promise.all([
        this.users.coldPoolGate(userId),
        this.gate.coldRecommendations(userId, 10),
      ]);
    } catch (e) {
      gateProblem = unavailable(e);
    }
    const ids = new Set(
      [...(gate?.decisions ?? []), ...(recommendations?.decisions ?? [])].map((d) => d.songId),
    );
    const titles = new Map((await this.songs.findByIds([...ids])).map((s) => [s.id, s.title] as const));
    return userPage({ userId, history, gate, recommendations, gateProblem, titles });
  }

  @Get('models')
  @Header('content-type', HTML)
  async modelList(): Promise<string> {
    return modelsPage(await this.models.list(), this.models.qualityReports());
  }

  @Get('reports/:file')
  @Header('cache-control', 'no-cache')
  chart(@Param('file') file: string): StreamableFile {
    return new StreamableFile(fs.createReadStream(this.models.chartPath(file)), { type: 'image/png' });
  }

  @Get('dead-letters')
  @Header('content-type', HTML)
  async deadLetterList(@Query() q: DeadLetterQuery): Promise<string> {
    const topic = q.topic ?? null;
    const [topics, letters] = await Promise.all([
      this.deadLetters.topics(),
      this.deadLetters.recent(topic, q.limit ?? 50),
    ]);
    return deadLettersPage(topic, topics, letters);
  }
}
