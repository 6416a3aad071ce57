import { Gauge, type Registry } from 'prom-client';
import { tf } from '@debut/models';
import type { AudienceCache } from './audience-cache';
import type { AudienceService } from './audience.service';
import type { GateService } from './gate.service';
import type { ModelRuntime } from './model-runtime';

/**
 * Gauges of what a serving process holds, read at scrape time: TensorFlow.js tensors and bytes
 * (a model switch that leaks shows as a climb), the vectors in each pool, and the entries of the
 * bounded caches. The api and the worker register the same ones.
 */
export function registerServingGauges(
  registry: Registry,
  parts: {
    runtime: ModelRuntime;
    gate?: GateService;
    audience?: AudienceService;
    audienceCache?: AudienceCache;
  },
): void {
  const registers = [registry];
  new Gauge({
    name: 'debut_tf_tensors',
    help: 'Live TensorFlow.js tensors (tf.memory().numTensors)',
    registers,
    collect() {
      this.set(tf.memory().numTensors);
    },
  });
  new Gauge({
    name: 'debut_tf_bytes',
    help: 'Bytes held by live TensorFlow.js tensors (tf.memory().numBytes)',
    registers,
    collect() {
      this.set(tf.memory().numBytes);
    },
  });
  new Gauge({
    name: 'debut_pool_vectors',
    help: 'Vectors in the FAISS pools of the active models',
    labelNames: ['pool'],
    registers,
    collect() {
      const { i2i, dssm } = parts.runtime.state;
      this.set({ pool: 'warm' }, i2i?.warm.size ?? 0);
      this.set({ pool: 'cold' }, dssm?.cold.size ?? 0);
    },
  });
  new Gauge({
    name: 'debut_cache_entries',
    help: 'Entries of the bounded serving caches',
    labelNames: ['cache'],
    registers,
    collect() {
      if (parts.gate) {
        const g = parts.gate.cacheSizes();
        this.set({ cache: 'gate_items' }, g.items);
        this.set({ cache: 'gate_users' }, g.users);
      }
      if (parts.audienceCache) this.set({ cache: 'audiences' }, parts.audienceCache.size);
      if (parts.audience) {
        const l = parts.audience.listeners.size();
        this.set({ cache: 'listener_songs' }, l.songs);
        this.set({ cache: 'listener_entries' }, l.listeners);
      }
    },
  });
  new Gauge({
    name: 'debut_memory_vectors',
    help: 'Vectors held in memory for the hot routes (api), per table of the active versions',
    labelNames: ['table'],
    registers,
    collect() {
      const { i2i, dssm } = parts.runtime.state;
      this.set({ table: 'i2i_songs' }, i2i?.vectors?.size ?? 0);
      this.set({ table: 'dssm_songs' }, dssm?.vectors?.songs.size ?? 0);
      this.set({ table: 'dssm_users' }, dssm?.vectors?.users.size ?? 0);
    },
  });
  new Gauge({
    name: 'debut_memory_vector_bytes',
    help: 'Bytes of the float storage behind debut_memory_vectors',
    registers,
    collect() {
      const { i2i, dssm } = parts.runtime.state;
      this.set((i2i?.vectors?.bytes ?? 0) + (dssm?.vectors?.bytes ?? 0));
    },
  });
}
