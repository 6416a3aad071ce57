import { type ArgumentMetadata, BadRequestException, Injectable, ValidationPipe } from '@nestjs/common';

/** A DTO class that can tell, cheaply, that a value certainly passes its decorators. */
interface FastAccepting {
  new (): object;
  accepts(value: unknown): boolean;
}

function fastAccepting(metatype: ArgumentMetadata['metatype']): metatype is FastAccepting {
  return typeof (metatype as Partial<FastAccepting> | undefined)?.accepts === 'function';
}

/**
 * The API's ValidationPipe (whitelist, no unknown properties, transform), one readable sentence
 * per bad field, e.g. "songIds must contain no more than 500 elements". A DTO with a static
 * `accepts` skips class-validator for the values it accepts — class-validator costs ~50 µs on a
 * 100-id gate body, more than the gate's arithmetic — and is validated in full otherwise, so
 * errors read the same either way. api.spec.ts checks `accepts` never lets through what the
 * decorators refuse.
 */
@Injectable()
export class DebutValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) =>
        new BadRequestException({
          statusCode: 400,
          error: 'Bad Request',
          message: errors.flatMap((e) =>
            Object.values(e.constraints ?? { [e.property]: `${e.property} is invalid` }),
          ),
        }),
    });
  }

  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const { metatype } = metadata;
    if (fastAccepting(metatype) && metatype.accepts(value))
      return Promise.resolve(Object.assign(new metatype(), value));
    return super.transform(value, metadata) as Promise<unknown>;
  }
}
