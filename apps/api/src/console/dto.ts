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
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

export class ReleaseListQuery {
  @ApiPropertyOptional({ description: 'part of a song id or title (case-insensitive)' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  q?: string;

  @ApiPropertyOptional({ minimum: 1, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  page?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 25 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  pageSize?: number;
}

export class DeadLetterQuery {
  @ApiPropertyOptional({ description: 'source topic (every topic when absent)' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  topic?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class ReplayBody {
  @ApiProperty({ type: [String], minItems: 1, maxItems: 100, example: ['12'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Matches(/^[1-9]\d{0,17}$/, { each: true, message: 'each id must be a dead-letter id (digits)' })
  ids: string[];
}

/** `?id=` of the users page (a form field), or nothing for the starting list. */
export class UserQuery {
  @IsOptional()
  @IsString()
  @MaxLength(128)
  id?: string;
}
