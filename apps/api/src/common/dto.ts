import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
} from 'class-validator';

export class LimitQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
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

export class ColdGateDto {
  @ApiProperty() userId: string;
  @ApiProperty() modelVersion: string;
  @ApiProperty({ enum: ['model', 'no-history'] }) basis: 'model' | 'no-history';
  @ApiProperty({ type: [GateDecisionDto] }) decisions: GateDecisionDto[];
}

export class ColdRecommendationsDto {
  @ApiProperty() userId: string;
  @ApiProperty() modelVersion: string;
  @ApiProperty({ enum: ['model', 'no-history'] }) basis: 'model' | 'no-history';
  @ApiProperty({ type: [GateDecisionDto] }) songs: GateDecisionDto[];
}
