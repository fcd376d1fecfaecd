import { describe, expect, test } from 'vitest';
import { lexicalEmbedder, lexicalVector } from './lexical-embedder.js';
import { cosineSimilarity } from './similarity.js';

const similarity = (a: string, b: string) =>
  cosineSimilarity(lexicalVector(a, 512), lexicalVector(b, 512));

describe('lexicalEmbedder', () => {
  test('returns one L2-normalised vector per text, deterministically', async () => {
    const embedder = lexicalEmbedder();
    const [a, b] = await embedder.embed([
      'How do I reset my password?',
      'How do I reset my password?',
    ]);
    expect(a).toHaveLength(512);
    expect(Array.from(a!)).toEqual(Array.from(b!));
    const norm = Math.sqrt(a!.reduce((sum, x) => sum + x * x, 0));
    expect(norm).toBeCloseTo(1, 5);
  });

  test('its id names the version and dimensions', () => {
    expect(lexicalEmbedder().id).toBe('lexical-v3-512');
    expect(lexicalEmbedder({ dimensions: 256 }).id).toBe('lexical-v3-256');
    expect(() => lexicalEmbedder({ dimensions: 3 })).toThrow(/dimensions/);
  });

  test('case, punctuation and whitespace do not matter', () => {
    expect(
      similarity('How do I reset my password?', 'how do i reset my   password'),
    ).toBeGreaterThan(0.99);
    expect(similarity('如何重置我的密码？', '如何重置我的密码')).toBeGreaterThan(0.99);
  });

  test('word order and typos keep a high similarity; unrelated texts score low', () => {
    const reordered = similarity('what is the capital of france', 'capital of france what is the');
    const typo = similarity('How do I reset my password?', 'How do I reset my pasword?');
    const unrelated = similarity('How do I reset my password?', 'Best pizza toppings for a party');
    expect(reordered).toBeGreaterThan(0.85);
    expect(typo).toBeGreaterThan(unrelated + 0.4);
    expect(unrelated).toBeLessThan(0.2);
  });

  test('segments Chinese so reworded Chinese questions are close', () => {
    expect(similarity('今天北京的天气怎么样', '北京今天天气怎么样')).toBeGreaterThan(
      similarity('今天北京的天气怎么样', '如何学习编程'),
    );
  });

  test('inflections and contractions share their features', () => {
    expect(similarity('tips for learning languages', 'tip for learn language')).toBeGreaterThan(
      0.999,
    );
    expect(similarity('who stopped the cities', 'who stop the city')).toBeGreaterThan(0.999);
    expect(similarity("what's the time", 'what is the time')).toBeGreaterThan(0.999);
  });

  test('a changed function word weighs far less than a changed content word', () => {
    const article = similarity('What is the human body?', 'What is a human body?');
    const content = similarity('What is the human body?', 'What is the human mind?');
    expect(article).toBeGreaterThan(0.9);
    expect(content).toBeLessThan(0.7);
    // Function words still count: a text of only function words is not empty.
    expect(similarity('what is it', 'what is it')).toBeGreaterThan(0.999);
    expect(similarity('what is it', 'who are they')).toBeLessThan(0.5);
  });

  test('empty text gives a zero vector, never NaN', () => {
    const vector = lexicalVector('', 64);
    expect(vector.every((x) => x === 0)).toBe(true);
  });
});
