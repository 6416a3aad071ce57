import { expect } from '@jest/globals';
import { ValidationPipe } from '@nestjs/common';
import fc from 'fast-check';
import { ColdGateBody } from './dto';
import { DebutValidationPipe } from './validation.pipe';

const meta = { type: 'body' as const, metatype: ColdGateBody };
const classValidator = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });
const passes = (v: unknown) =>
  classValidator.transform(v, meta).then(
    () => true,
    () => false,
  );

describe('DebutValidationPipe', () => {
  it('ColdGateBody.accepts lets through only bodies class-validator accepts (property-based)', async () => {
    const id = fc.oneof(
      fc.string({ minLength: 0, maxLength: 130 }),
      fc.string({ unit: 'grapheme', minLength: 120, maxLength: 130 }),
      fc.integer(),
      fc.constant(null),
    );
    const body = fc.oneof(
      fc.record({ songIds: fc.array(id, { minLength: 0, maxLength: 4 }) }),
      // around the size limit, with valid ids
      fc.record({
        songIds: fc.array(fc.string({ minLength: 1, maxLength: 128 }), { minLength: 498, maxLength: 502 }),
      }),
      // around the id length limits
      fc.record({
        songIds: fc.array(fc.string({ minLength: 0, maxLength: 2 }), { minLength: 1, maxLength: 2 }),
      }),
      fc.record({
        songIds: fc.array(fc.string({ minLength: 127, maxLength: 130 }), { minLength: 1, maxLength: 2 }),
      }),
      fc.record({
        songIds: fc.array(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 3 }),
        extra: fc.anything(),
      }),
      fc.record({ songIds: fc.anything() }),
      fc.anything(),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        if (ColdGateBody.accepts(b)) expect(await passes(b)).toBe(true);
      }),
      { numRuns: 600 },
    );
  });

  it('accepts the ordinary gate body, as an instance of the DTO, and refuses the rest with class-validator’s reasons', async () => {
    const pipe = new DebutValidationPipe();
    const ok = await pipe.transform({ songIds: ['s-1', 's-2'] }, meta);
    expect(ok).toBeInstanceOf(ColdGateBody);
    expect(ok).toEqual({ songIds: ['s-1', 's-2'] });
    await expect(pipe.transform({ songIds: [] }, meta)).rejects.toMatchObject({
      response: { message: ['songIds must contain at least 1 elements'] },
    });
    await expect(pipe.transform({ songIds: ['a'], x: 1 }, meta)).rejects.toMatchObject({
      response: { message: ['property x should not exist'] },
    });
  });
});
