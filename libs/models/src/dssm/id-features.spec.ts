/**
 * Item-ID features in DSSM training (issue 15):
 *  - idDropout: the fields of the named modalities are zeroed for that share of each step's
 *    items, so at rate 1 their embedding never moves while every other field still trains; at
 *    rate 0 training is exactly the default;
 *  - warmStartFromContent: a tower with extra fields, started from a content-only one, embeds
 *    every song exactly as it does, whatever the extra fields hold.
 */
import { coldSplit, generateSynthetic } from '@debut/evaluation';
import { Featurizer } from '@debut/features';
import { initTf } from '../tf';
import { DssmModel } from './model';
import { DssmTowers } from './towers';
import { warmStartFromContent } from './warm-start';
import { sidSchema, withIdFeatures, DEFAULT_SID_FEATURES } from '../semantic-ids/sid-features';
import { DEFAULT_DSSM_TRAIN_CONFIG, trainDssm } from './trainer';
import { SMALL_DSSM, smallDssmData } from '../testing/small-dssm';

jest.setTimeout(60000);

describe('item-ID features in DSSM training', () => {
  const ds = generateSynthetic({ seed: 5, songs: 300, users: 200, interactionsPerUser: 30 });
  const split = coldSplit(ds, { seed: 5 });
  const { featurizer, data } = smallDssmData(ds, split);
  const small = { ...SMALL_DSSM, epochs: 1 };
  // Any content modality stands in for an ID modality here: the mechanism is per field.
  const idField = featurizer.fields.find((f) => f.modality === 'genres') ?? featurizer.fields[0];
  const other = featurizer.fields.find((f) => f !== idField)!;
  const weight = (t: DssmTowers, f: typeof idField) =>
    Array.from(t.item.fieldEmbedding.kernels[featurizer.fields.indexOf(f)].dataSync());

  beforeAll(() => initTf());

  it('never trains a field dropped for every item, and still trains the others', async () => {
    const init = new DssmTowers(data.fields, { ...DEFAULT_DSSM_TRAIN_CONFIG, ...small });
    const r = await trainDssm(data, { ...small, idDropout: 1, idModalities: [idField.modality] });
    expect(weight(r.towers, idField)).toEqual(weight(init, idField));
    expect(weight(r.towers, other)).not.toEqual(weight(init, other));
    const trained = await trainDssm(data, small);
    expect(weight(trained.towers, idField)).not.toEqual(weight(init, idField));
    [init, r.towers, trained.towers].forEach((t) => t.dispose());
  });

  it('at rate 0 trains exactly as without the option', async () => {
    const a = await trainDssm(data, small);
    const b = await trainDssm(data, { ...small, idDropout: 0, idModalities: [idField.modality] });
    expect(b.history.map((h) => h.loss)).toEqual(a.history.map((h) => h.loss));
    expect(weight(b.towers, idField)).toEqual(weight(a.towers, idField));
    [a.towers, b.towers].forEach((t) => t.dispose());
  });

  it('a warm-started tower with SID fields embeds songs exactly as the content tower', async () => {
    const content = await trainDssm(data, small);
    const sid = { ...DEFAULT_SID_FEATURES, levels: 2, tableSizes: [8, 16] };
    const withSid = new Featurizer(sidSchema(ds.schema, sid));
    const towers = new DssmTowers(withSid.fields, { ...DEFAULT_DSSM_TRAIN_CONFIG, ...small, seed: 99 });
    warmStartFromContent(towers, content.towers);
    const songs = ds.items.slice(0, 20);
    const plain = new DssmModel(featurizer, content.towers).embedItems(songs.map((i) => i.content));
    const featured = new DssmModel(withSid, towers).embedItems(
      songs.map((i, r) =>
        withIdFeatures(i.content, { 'sid.prefix1': String(r % 8), 'sid.prefix2': String(r % 16) }),
      ),
    );
    expect(featured).toHaveLength(plain.length);
    featured.forEach((x, k) => expect(x).toBeCloseTo(plain[k], 5));
    // The extra fields do reach the MLP once their input rows move: not dead weights.
    const other = new DssmTowers(withSid.fields, { ...DEFAULT_DSSM_TRAIN_CONFIG, ...small, seed: 99 });
    const random = new DssmModel(withSid, other).embedItems([
      withIdFeatures(songs[0].content, { 'sid.prefix1': '1' }),
    ]);
    expect(Array.from(random)).not.toEqual(Array.from(featured.subarray(0, 16)));
    [content.towers, towers, other].forEach((t) => t.dispose());
  });
});
