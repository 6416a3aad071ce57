import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gaussian, mulberry32 } from '../random';
import {
  SID_CODEBOOK_FILE,
  fitSemanticIdModel,
  loadSemanticIds,
  parseSidShape,
  saveSemanticIds,
} from './sid-model';

function vectors(n: number, dim: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n * dim }, () => gaussian(rng));
}

describe('semantic-ID model (saved beside the I2I artifact)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sid-model-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('round-trips: the loaded codebook gives every vector the same SID as the fitted one', async () => {
    const x = vectors(300, 8, 1);
    const fitted = fitSemanticIdModel(x, 8, 'i2i-a', { levels: 3, codes: 16, seed: 7 });
    const manifest = await saveSemanticIds(dir, fitted);
    expect(manifest).toMatchObject({ modelVersion: 'i2i-a', levels: 3, codes: 16, dim: 8, fittedOn: 300 });
    expect(manifest.checksum).toMatch(/^[0-9a-f]{64}$/);
    const loaded = await loadSemanticIds(dir, { modelVersion: 'i2i-a', dim: 8 });
    expect(loaded).not.toBeNull();
    const sids = loaded!.encode(x);
    expect(sids).toEqual(fitted.model.encode(x));
    expect(sids[0]).toMatch(/^\d+-\d+-\d+$/);
    // Not all in one bucket: the codebook separates the vectors.
    expect(new Set(sids.map((s) => s.split('-')[0])).size).toBeGreaterThan(4);
  });

  it('is absent (null) for an artifact without SIDs, and refuses a codebook of another version, width or bytes', async () => {
    expect(await loadSemanticIds(dir, { modelVersion: 'i2i-a', dim: 8 })).toBeNull();
    await saveSemanticIds(dir, fitSemanticIdModel(vectors(50, 8, 2), 8, 'i2i-a', { levels: 2, codes: 4 }));
    await expect(loadSemanticIds(dir, { modelVersion: 'i2i-b', dim: 8 })).rejects.toThrow(/fitted for i2i-a/);
    await expect(loadSemanticIds(dir, { modelVersion: 'i2i-a', dim: 4 })).rejects.toThrow(/dim 8/);
    const bin = path.join(dir, SID_CODEBOOK_FILE);
    const bytes = await fs.readFile(bin);
    bytes[0] ^= 0xff;
    await fs.writeFile(bin, bytes);
    await expect(loadSemanticIds(dir, { modelVersion: 'i2i-a', dim: 8 })).rejects.toThrow(/checksum/);
  });

  it('parses --sid LxK and refuses malformed or out-of-range shapes with a reason', () => {
    expect(parseSidShape('3x128')).toEqual({ levels: 3, codes: 128 });
    expect(parseSidShape(' 2x64 ')).toEqual({ levels: 2, codes: 64 });
    for (const bad of ['3', '3x', 'x128', '3*128', '3x128x2', '-3x128', 'threexten'])
      expect(() => parseSidShape(bad)).toThrow(/LEVELSxCODES/);
    expect(() => parseSidShape('0x128')).toThrow(/levels must be 1..8/);
    expect(() => parseSidShape('9x128')).toThrow(/levels must be 1..8/);
    expect(() => parseSidShape('3x1')).toThrow(/codes per level must be 2..4096/);
    expect(() => parseSidShape('3x5000')).toThrow(/codes per level/);
  });
});
