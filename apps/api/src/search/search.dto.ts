import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { SEARCH_MODES, type SearchMode } from '@debut/models';

export const MAX_QUERY_LENGTH = 200;
export const MAX_SEARCH_LIMIT = 100;

export class SearchQuery {
  @ApiProperty({
    description: 'words: a title, an artist, tags or genres',
    maxLength: MAX_QUERY_LENGTH,
    example: 'indie pop',
  })
  @IsString({ message: 'q must be a string' })
  @Length(1, MAX_QUERY_LENGTH, { message: `q must be 1 to ${MAX_QUERY_LENGTH} characters` })
  @Matches(/[\p{L}\p{N}]/u, { message: 'q must contain at least one letter or digit' })
  q: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_SEARCH_LIMIT, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1, { message: `limit must be between 1 and ${MAX_SEARCH_LIMIT}` })
  @Max(MAX_SEARCH_LIMIT, { message: `limit must be between 1 and ${MAX_SEARCH_LIMIT}` })
  limit?: number;

  @ApiPropertyOptional({
    enum: SEARCH_MODES,
    default: 'hybrid',
    description:
      'hybrid: BM25 and the joint model fused with the weight chosen on validation; joint: the joint model alone; lexical: BM25 alone',
  })
  @IsOptional()
  @IsIn(SEARCH_MODES, { message: `mode must be one of ${SEARCH_MODES.join(', ')}` })
  mode?: SearchMode;
}

export class SearchSourcesDto {
  @ApiProperty({
    type: Number,
    nullable: true,
    description: '1-based rank in the BM25 candidates (null: no match)',
  })
  lexical: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      '1-based rank in the joint-space (FAISS) candidates (null: not among them, or no query word is known to the model)',
  })
  dense: number | null;
}

export class SearchItemDto {
  @ApiProperty() songId: string;
  @ApiProperty() title: string;
  @ApiProperty({
    description: 'the score of the mode: fused (hybrid), inner product (joint) or BM25 (lexical)',
  })
  score: number;
  @ApiProperty({ type: SearchSourcesDto }) sources: SearchSourcesDto;
}

export class SearchFusionDto {
  @ApiProperty({ enum: ['score-sum', 'rrf'] }) mode: string;
  @ApiProperty({ description: 'lexical weight w (1 = BM25 only, 0 = joint only)' }) lexicalWeight: number;
}

export class SearchDto {
  @ApiProperty() query: string;
  @ApiProperty({ enum: SEARCH_MODES }) mode: SearchMode;
  @ApiProperty({ description: 'the active search version' }) modelVersion: string;
  @ApiProperty({ type: SearchFusionDto }) fusion: SearchFusionDto;
  @ApiProperty({ description: "whether any query word is in the query encoder's vocabulary" })
  denseQuery: boolean;
  @ApiProperty({ type: [SearchItemDto] }) items: SearchItemDto[];
}
