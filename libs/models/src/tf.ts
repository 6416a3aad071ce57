/**
 * TensorFlow.js backend selection (DESIGN.md §5). One place decides which backend runs:
 * `@tensorflow/tfjs-node` when its native binding loads, otherwise `@tensorflow/tfjs` with the
 * SIMD wasm backend. Everything in libs/models (and the DSSM) imports `tf` from here and awaits
 * `initTf()` before building tensors.
 *
 * The native addon is built by scripts/build-tfjs-native.sh (part of `npm run setup`) against
 * TensorFlow 2.16.2 from Maven Central. TensorFlow reads its thread pool sizes from
 * TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS when its first context is created, i.e. when
 * tfjs-node is loaded: `initTf` sets both to the machine's core count unless they are already set
 * (so a 2-core machine trains on both cores), and TF_CPP_MIN_LOG_LEVEL to 1 (warnings, no INFO
 * banner) unless set.
 *
 * On wasm three traps are handled:
 *  - BatchMatMul with transposeA/transposeB is ~16x slower than the plain kernel, and matMul's
 *    gradients use those flags. `initTf` re-registers the wasm BatchMatMul kernel so that it
 *    transposes explicitly first and then runs the plain kernel (option `fixMatMul`).
 *  - tf.gather's gradient (UnsortedSegmentSum) is missing: the towers use multi-hot x matrix.
 *  - tf.logSigmoid's gradient fails: the losses use softplus forms.
 */
import * as tf from '@tensorflow/tfjs';
import * as os from 'os';
import * as path from 'path';

export { tf };

export type BackendOption = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
const BACKEND_OPTIONS: readonly BackendOption[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** DEBUT_TF_BACKEND (used when `initTf` is called without a backend), validated; default 'auto'. */
export function backendFromEnv(value = process.env.DEBUT_TF_BACKEND): BackendOption {
  if (value === undefined || value === '') return 'auto';
  if ((BACKEND_OPTIONS as readonly string[]).includes(value)) return value as BackendOption;
  throw new Error(`DEBUT_TF_BACKEND must be one of ${BACKEND_OPTIONS.join(', ')} (got '${value}')`);
}

export interface InitTfOptions {
  backend?: BackendOption;
  /** Replace the wasm BatchMatMul kernel by explicit-transpose + plain kernel (default true). */
  fixMatMul?: boolean;
  /** Where backend selection is reported (default console.log; pass () => {} to stay quiet). */
  log?: (message: string) => void;
}

let initPromise: Promise<string> | null = null;
let initOption: BackendOption | null = null;
let matMulFixed = false;

/** Name of the active backend ('tensorflow' | 'wasm' | 'cpu'); call after `initTf()`. */
export function backendName(): string {
  return tf.getBackend();
}

/** Whether the wasm BatchMatMul override is active. */
export function isMatMulFixed(): boolean {
  return matMulFixed;
}

/** Thread pool sizes the native backend uses (read by TensorFlow when tfjs-node loads). */
export interface NativeThreads {
  intraOp: number;
  interOp: number;
}

function threadCountEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') {
    process.env[name] = String(fallback);
    return fallback;
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer (got '${raw}')`);
  return n; // 0 = TensorFlow's own default
}

let nativeThreads: NativeThreads | null = null;

/** The native backend's thread settings, once tfjs-node was loaded (null otherwise). */
export function tfThreads(): NativeThreads | null {
  return nativeThreads;
}

/** Must run before tfjs-node is first required: TensorFlow reads these once, at context creation. */
function configureNative(): NativeThreads {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  if (process.env.TF_CPP_MIN_LOG_LEVEL === undefined) process.env.TF_CPP_MIN_LOG_LEVEL = '1';
  return {
    intraOp: threadCountEnv('TF_NUM_INTRAOP_THREADS', Math.max(1, cores)),
    interOp: threadCountEnv('TF_NUM_INTEROP_THREADS', Math.max(1, cores)),
  };
}

function tryTfjsNode(): boolean {
  const threads = configureNative(); // outside the try: a bad setting is an error, not a fallback
  try {
    // Loading registers the 'tensorflow' backend on the shared tfjs-core instance.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
    const ok = tf.findBackend('tensorflow') != null || tf.engine().registryFactory['tensorflow'] != null;
    if (ok) nativeThreads = threads;
    return ok;
  } catch {
    return false;
  }
}

/**
 * Re-registers the wasm BatchMatMul kernel: when a transpose flag is set, the operand is first
 * transposed with the wasm Transpose kernel and the plain (fast) kernel runs on it. Must run
 * before the wasm backend is initialised so that the original setup function is called.
 */
function overrideWasmBatchMatMul(): void {
  const original = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!original || !transpose) return;
  const plain = original.kernelFunc;
  const swapLast = (info: tf.TensorInfo, backend: unknown): tf.TensorInfo => {
    const rank = info.shape.length;
    const perm = [...Array(rank).keys()];
    perm[rank - 1] = rank - 2;
    perm[rank - 2] = rank - 1;
    return transpose.kernelFunc({
      inputs: { x: info },
      backend: backend as never,
      attrs: { perm },
    }) as tf.TensorInfo;
  };
  const kernelFunc: tf.KernelFunc = (args) => {
    const { inputs, backend, attrs } = args as unknown as {
      inputs: { a: tf.TensorInfo; b: tf.TensorInfo };
      backend: { disposeData(id: object): void };
      attrs: { transposeA: boolean; transposeB: boolean };
    };
    if (!attrs.transposeA && !attrs.transposeB) return plain(args);
    const a = attrs.transposeA ? swapLast(inputs.a, backend) : inputs.a;
    const b = attrs.transposeB ? swapLast(inputs.b, backend) : inputs.b;
    const out = plain({
      inputs: { a, b },
      backend: backend,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    });
    if (a !== inputs.a) backend.disposeData(a.dataId);
    if (b !== inputs.b) backend.disposeData(b.dataId);
    return out;
  };
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...original, kernelFunc });
  matMulFixed = true;
}

async function initWasm(fixMatMul: boolean): Promise<boolean> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    const dist = path.dirname(
      require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'),
    );
    wasm.setWasmPaths(dist + path.sep);
    if (fixMatMul && !matMulFixed) overrideWasmBatchMatMul();
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

/**
 * Picks and initialises the backend once per process ('auto': tensorflow → wasm → cpu).
 * Returns the backend name. Later calls return the same promise (the option of the first call wins).
 */
export function initTf(options: InitTfOptions = {}): Promise<string> {
  const option = options.backend ?? backendFromEnv();
  const log = options.log ?? ((m: string) => console.log(m));
  if (initPromise) {
    if (initOption !== option && option !== 'auto') {
      log(`[tf] backend already initialised (${initOption}); ignoring request for '${option}'`);
    }
    return initPromise;
  }
  initOption = option;
  initPromise = (async () => {
    const fix = options.fixMatMul ?? true;
    let ok = false;
    if (option === 'auto' || option === 'tensorflow') {
      ok = tryTfjsNode() && (await tf.setBackend('tensorflow').catch(() => false));
      if (!ok && option === 'tensorflow') log('[tf] @tensorflow/tfjs-node unavailable; falling back to wasm');
    }
    if (!ok && option !== 'cpu') ok = await initWasm(fix);
    if (!ok) {
      await tf.setBackend('cpu');
      log('[tf] WARNING: plain JS cpu backend (~40x slower than wasm)');
    }
    await tf.ready();
    const name = tf.getBackend();
    const detail =
      name === 'wasm'
        ? ` (SIMD, BatchMatMul transpose fix ${matMulFixed ? 'on' : 'off'})`
        : name === 'tensorflow' && nativeThreads
          ? ` (native TensorFlow, ${nativeThreads.intraOp} intra-op / ${nativeThreads.interOp} inter-op threads)`
          : '';
    log(`[tf] backend: ${name}${detail}`);
    return name;
  })();
  return initPromise;
}

/** Deterministic Gaussian seed stream for initialisers: returns a new integer each call. */
export function seedStream(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    return s;
  };
}
