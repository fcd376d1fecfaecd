import { describe, expect, test } from 'vitest';
import { chineseModel, englishModel } from './model-specs.js';
import {
  calibratedThreshold,
  chineseLexicalWeight,
  languageLength,
  mixChinese,
  placeModelVector,
  similarityCalibration,
  similarityScale,
  unreadableVector,
  vectorLayout,
} from './vector-layout.js';

const dot = (a: Float32Array, b: Float32Array): number =>
  a.reduce((sum, value, i) => sum + value * (b[i] as number), 0);

describe('vectorLayout', () => {
  test('disjoint blocks that tile the whole vector, sized for each model', () => {
    const { en, zh, zhLexical, enShift, zhShift, unreadable, dimensions } = vectorLayout;
    const blocks = [en, zh, zhLexical, enShift, zhShift, unreadable];
    let next = 0;
    for (const block of blocks) {
      expect(block.offset).toBe(next);
      next = block.offset + block.length;
    }
    expect(next).toBe(dimensions);
    expect(en.length).toBe(englishModel.dimensions);
    expect(zh.length).toBe(chineseModel.dimensions);
    expect(zhLexical.length).toBe(512);
    expect(dimensions).toBe(1536);
  });
});

describe('similarity calibration', () => {
  test('the common threshold is the highest model threshold; that model is not rescaled', () => {
    expect(calibratedThreshold).toBe(Math.max(similarityCalibration.en, similarityCalibration.zh));
    const top = similarityCalibration.en >= similarityCalibration.zh ? 'en' : 'zh';
    expect(similarityScale(top)).toBeCloseTo(1, 12);
  });

  test.each(['en', 'zh'] as const)(
    '%s: the dot product of two placed vectors is 1 − k(1 − cosine); unit length; own blocks only',
    (model) => {
      const n = languageLength(model);
      const unit = (f: (i: number) => number) => {
        const v = Float32Array.from({ length: n }, (_, i) => f(i));
        const norm = Math.sqrt(dot(v, v));
        return v.map((x) => x / norm);
      };
      const a = unit((i) => Math.sin(i + 1));
      const b = unit((i) => Math.sin(i + 1) + 0.3 * Math.cos(3 * i));
      const cosine = dot(a, b);
      const [x, y] = [placeModelVector(model, a), placeModelVector(model, b)];
      const k = similarityScale(model);
      expect(dot(x, y)).toBeCloseTo(1 - k * (1 - cosine), 5);
      expect(dot(x, x)).toBeCloseTo(1, 5);
      // The model's own threshold lands exactly on the common one.
      expect(1 - k * (1 - similarityCalibration[model])).toBeCloseTo(calibratedThreshold, 12);
      const shift = vectorLayout[model === 'en' ? 'enShift' : 'zhShift'];
      const own = (i: number) =>
        (i >= vectorLayout[model].offset && i < vectorLayout[model].offset + n) ||
        i === shift.offset;
      expect(Array.from(x).every((v, i) => own(i) || v === 0)).toBe(true);
    },
  );

  test('an English and a Chinese vector are orthogonal', () => {
    const en = placeModelVector('en', new Float32Array(384).fill(1 / Math.sqrt(384)));
    const zh = placeModelVector('zh', new Float32Array(1024).fill(1 / Math.sqrt(1024)));
    expect(dot(en, zh)).toBe(0);
    expect(dot(en, unreadableVector('x'))).toBe(0);
  });

  test('rejects a vector of the wrong length', () => {
    expect(() => placeModelVector('en', new Float32Array(512))).toThrow(/expected 384/);
    expect(() => placeModelVector('zh', new Float32Array(512))).toThrow(/expected 1024/);
  });

  test('Chinese mix: the dot product is the weighted sum of the two cosines; unit length', () => {
    const unit = (n: number, f: (i: number) => number) => {
      const v = Float32Array.from({ length: n }, (_, i) => f(i));
      const norm = Math.sqrt(dot(v, v));
      return v.map((x) => x / norm);
    };
    const [bge1, bge2] = [
      unit(512, (i) => Math.sin(i)),
      unit(512, (i) => Math.sin(i) + Math.cos(i)),
    ];
    const [lex1, lex2] = [unit(512, (i) => i % 7), unit(512, (i) => i % 5)];
    const [x, y] = [mixChinese(bge1, lex1), mixChinese(bge2, lex2)];
    const w = chineseLexicalWeight;
    expect(dot(x, y)).toBeCloseTo((1 - w) * dot(bge1, bge2) + w * dot(lex1, lex2), 5);
    expect(dot(x, x)).toBeCloseTo(1, 5);
    // No lexical features: bge alone, still unit length.
    const alone = mixChinese(bge1, new Float32Array(512));
    expect(dot(alone, alone)).toBeCloseTo(1, 5);
    expect(dot(alone.subarray(0, 512), bge1)).toBeCloseTo(1, 5);
  });
});

describe('unreadableVector', () => {
  test('a unit vector inside its block, the same for the same text', () => {
    const vector = unreadableVector('ราคาเท่าไหร่');
    const { offset, length } = vectorLayout.unreadable;
    expect(vector).toHaveLength(vectorLayout.dimensions);
    expect(vector.subarray(0, offset).every((v) => v === 0)).toBe(true);
    expect(vector.subarray(offset, offset + length).some((v) => v !== 0)).toBe(true);
    expect(dot(vector, vector)).toBeCloseTo(1, 5);
    expect(Array.from(unreadableVector('ราคาเท่าไหร่'))).toEqual(Array.from(vector));
  });

  test('different texts are far apart (never a semantic match)', () => {
    const texts = Array.from({ length: 200 }, (_, i) => `😀 ${i}`);
    const vectors = texts.map(unreadableVector);
    let highest = -1;
    for (let i = 0; i < vectors.length; i++) {
      for (let j = i + 1; j < vectors.length; j++) {
        highest = Math.max(highest, dot(vectors[i] as Float32Array, vectors[j] as Float32Array));
      }
    }
    expect(highest).toBeLessThan(0.5);
  });
});
