import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
  isISO8601,
} from 'class-validator';
import { MARKET_CODE, MAX_EXPOSURE_USERS } from '@debut/features';

/**
 * A calendar date, or a date-time WITH its zone (Z or ±hh:mm): without one, the month of a time
 * near a month's end would depend on the server's zone. IsISO8601 (strict) then rejects
 * impossible dates such as 2026-02-30.
 */
const AT_PATTERN = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const AT_MESSAGE = '$property must be an ISO 8601 date or date-time with a zone, e.g. 2026-12-24T18:00:00Z';
const AT_DESCRIPTION =
  "gate as of this time: the active DSSM adds its learned offset for the time's UTC month to the user vector (models trained with --context month; others answer as without it)";

/** Validates an optional `at` (body or query) with one reason, and keeps the string; the controller parses it. */
function AtProperty(): PropertyDecorator {
  return (target, key) => {
    ApiPropertyOptional({ description: AT_DESCRIPTION, example: '2026-12-24T18:00:00Z' })(target, key);
    IsOptional()(target, key);
    ValidateBy(
      {
        name: 'isZonedTime',
        validator: {
          validate: (v: unknown) =>
            typeof v === 'string' && AT_PATTERN.test(v) && isISO8601(v, { strict: true }),
          defaultMessage: () => AT_MESSAGE,
        },
      },
      {},
    )(target, key);
  };
}

const MARKET_MESSAGE =
  '$property must be an ISO 3166-1 alpha-2 market code, two upper-case letters (e.g. SE)';

export class LimitQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

/**
 * GET /v1/songs/{id}/audience. `limit` is checked against AUDIENCE_MAX_LIMIT by the service (a
 * deployment setting, not a constant a decorator could hold).
 */
export class AudienceQuery {
  @ApiPropertyOptional({
    minimum: 1,
    default: 100,
    description:
      'audience size; above the stored audience (AUDIENCE_SIZE) the audience is selected afresh, up to AUDIENCE_MAX_LIMIT (default 50000)',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  limit?: number;

  @ApiPropertyOptional({ example: 'SE', description: 'only users of this market (selects afresh)' })
  @IsOptional()
  @Matches(MARKET_CODE, { message: MARKET_MESSAGE })
  region?: string;

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'leave out users already sent the song (the exposure log; selects afresh)',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  excludeExposed?: 'true' | 'false';
}

/** PUT /v1/users/{id}/profile */
export class UserProfileBody {
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'SE',
    description: 'ISO 3166-1 alpha-2; null = unknown',
  })
  @ValidateIf((_, v) => v !== null)
  @Matches(MARKET_CODE, { message: MARKET_MESSAGE })
  region: string | null;

  @ApiProperty({ description: 'never send this user explicit songs' })
  @IsBoolean()
  explicitOptOut: boolean;

  @ApiPropertyOptional({
    description: 'when the profile changed (ISO 8601); the latest wins. Default: now',
    example: '2026-12-01T12:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  updatedAt?: string;
}

/** POST /v1/songs/{id}/exposures */
export class ExposuresBody {
  @ApiProperty({ type: [String], minItems: 1, maxItems: MAX_EXPOSURE_USERS, example: ['u-001', 'u-002'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_EXPOSURE_USERS)
  @IsString({ each: true })
  @Length(1, 128, { each: true })
  userIds: string[];

  @ApiPropertyOptional({
    description: "the sender's id of this exposure (retries should send the same one); default: a new uuid",
  })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  exposureId?: string;

  @ApiPropertyOptional({ description: 'when the users were sent the song (ISO 8601); default: now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  at?: string;
}

export class AcceptedEventDto {
  @ApiProperty() topic: string;
  @ApiProperty({ description: 'the event as published' }) event: Record<string, unknown>;
}

/** `?level=&limit=` of GET /v1/songs/{id}/sid-neighbours. */
export class SidNeighboursQuery extends LimitQuery {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: 8,
    description: 'how many leading codes the songs share (default: all but the last; at most the SID length)',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(8)
  level?: number;
}

export class ColdGateBody {
  @ApiProperty({ type: [String], minItems: 1, maxItems: 500, example: ['s-123', 's-456'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @IsString({ each: true })
  @Length(1, 128, { each: true })
  songIds: string[];

  @AtProperty()
  at?: string;

  /**
   * True only for bodies the decorators above accept (a subset of them: ids are counted in UTF-16
   * units, which never undercounts), checked in a few µs; everything else goes through
   * class-validator, which names what is wrong. The gate is the hottest route (DebutValidationPipe).
   */
  static accepts(body: unknown): boolean {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
    const keys = Object.keys(body);
    if (keys.length !== 1 || keys[0] !== 'songIds') return false;
    const ids = (body as { songIds: unknown }).songIds;
    if (!Array.isArray(ids) || ids.length < 1 || ids.length > 500) return false;
    for (const id of ids) if (typeof id !== 'string' || id.length < 1 || id.length > 128) return false;
    return true;
  }
}

export class GateDecisionDto {
  @ApiProperty() songId: string;
  @ApiProperty({ description: 'u·i' }) score: number;
  @ApiProperty({ description: 'u·b, the user interest boundary' }) boundary: number;
  @ApiProperty({ description: 'score > boundary' }) pass: boolean;
}

export class AudienceMemberDto {
  @ApiProperty() userId: string;
  @ApiProperty() score: number;
  @ApiProperty({ type: [String], description: 'neighbour songs that put this user in the audience' })
  because: string[];
  @ApiProperty({
    type: Boolean,
    nullable: true,
    description:
      "the active DSSM's cold-gate verdict for this user and song (null: not computed yet, or no DSSM active)",
  })
  gatePass: boolean | null;
  @ApiPropertyOptional({
    description: 'true: chosen for exploration, outside the nearest audience (score 0)',
  })
  explore?: boolean;
}

/** Users refused per rule, among those ranked above the audience's last member. */
export class FilteredDto {
  @ApiProperty({ description: "outside the requested market or the song's markets (or market unknown)" })
  region: number;
  @ApiProperty({ description: 'opted out of explicit content (explicit songs)' }) explicit: number;
  @ApiProperty({ description: 'already sent the song (exposure log)' }) exposed: number;
  @ApiProperty({ description: 'already have the song' }) played: number;
}

export class NeighbourDto {
  @ApiProperty() songId: string;
  @ApiProperty() similarity: number;
}

export class AudienceDto {
  @ApiProperty() songId: string;
  @ApiProperty() modelVersion: string;
  @ApiProperty({
    enum: ['i2i2u', 'content-ridge', 'u2i-audience', 'cat', 'fusion'],
    description: 'the audience method that selected it',
  })
  method: string;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '12-5-40',
    description:
      "the song's semantic ID under modelVersion (RQ-KMeans codes, coarse first); null when the version has no codebook",
  })
  sid: string | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'share of the returned users the cold gate lets the song reach',
  })
  gatePassShare: number | null;
  @ApiProperty() selectedAt: string;
  @ApiProperty({ type: [AudienceMemberDto] }) audience: AudienceMemberDto[];
  @ApiProperty({ type: [NeighbourDto] }) neighbours: NeighbourDto[];
  // Present only on an audience selected afresh (limit above the stored size, region, excludeExposed).
  @ApiPropertyOptional({ description: 'the size asked for (fresh selections only)' }) requested?: number;
  @ApiPropertyOptional({ description: 'the size asked for was met' }) sizeMet?: boolean;
  @ApiPropertyOptional({
    description: "the active method's candidates ran out: every eligible user it can rank is here",
  })
  exhausted?: boolean;
  @ApiPropertyOptional({ type: FilteredDto }) filtered?: FilteredDto;
  @ApiPropertyOptional({ description: 'why the size was not met (absent when it was)' }) shortfall?: string;
}

export class SimilarDto {
  @ApiProperty() songId: string;
  @ApiProperty() modelVersion: string;
  @ApiProperty({ type: [NeighbourDto] }) similar: NeighbourDto[];
}

export class SidNeighbourDto {
  @ApiProperty() songId: string;
  @ApiProperty({ example: '12-5-41' }) sid: string;
  @ApiProperty({ enum: ['warm', 'cold'] }) pool: 'warm' | 'cold';
}

export class SidNeighboursDto {
  @ApiProperty() songId: string;
  @ApiProperty() modelVersion: string;
  @ApiProperty({ example: '12-5-40' }) sid: string;
  @ApiProperty({ description: 'leading codes shared' }) level: number;
  @ApiProperty({ example: '12-5', description: 'the shared prefix' }) prefix: string;
  @ApiProperty({ type: [SidNeighbourDto], description: 'songs sharing the prefix, in id order' })
  songs: SidNeighbourDto[];
}

/** GET /v1/users/{id}/cold-recommendations. */
export class ColdRecommendationsQuery extends LimitQuery {
  @AtProperty()
  at?: string;
}

export class GateContextDto {
  @ApiProperty({ description: "the request's at, as ISO 8601 UTC" }) at: string;
  @ApiProperty({ minimum: 1, maximum: 12, description: 'its UTC month: the bucket whose offset was added' })
  month: number;
  @ApiProperty({
    description: 'false: the active DSSM has no context offsets, so the answer is the same as without at',
  })
  applied: boolean;
}

export class ColdGateDto {
  @ApiProperty() userId: string;
  @ApiProperty() modelVersion: string;
  @ApiProperty({ enum: ['model', 'no-history'] }) basis: 'model' | 'no-history';
  @ApiProperty({ type: [GateDecisionDto] }) decisions: GateDecisionDto[];
  @ApiPropertyOptional({ type: GateContextDto, description: 'present when the request named at' })
  context?: GateContextDto;
}

export class ColdRecommendationsDto {
  @ApiProperty() userId: string;
  @ApiProperty() modelVersion: string;
  @ApiProperty({ enum: ['model', 'no-history'] }) basis: 'model' | 'no-history';
  @ApiProperty({ type: [GateDecisionDto] }) songs: GateDecisionDto[];
  @ApiPropertyOptional({ type: GateContextDto, description: 'present when the request named at' })
  context?: GateContextDto;
}
