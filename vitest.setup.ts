import fc from 'fast-check';

// Property tests explore a fixed sample in CI so a run is reproducible; set FC_SEED to explore others.
fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261128) });
