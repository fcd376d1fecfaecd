import { describe, expect, test } from 'vitest';
import {
  antonymGuard,
  defaultGuards,
  identifierGuard,
  negationGuard,
  numbersGuard,
  vetoReason,
} from './guards.js';

const veto = (a: string, b: string) => vetoReason(defaultGuards, a, b);

describe('guards', () => {
  test.each([
    ['turn on the kitchen light', 'turn off the kitchen light'],
    ['convert 100 USD', 'convert 1000 USD'],
    ['打开空调', '关闭空调'],
    ['convert 100 USD to EUR', 'convert 100 GBP to EUR'],
    ['Is it safe to eat raw eggs?', 'Is it not safe to eat raw eggs?'],
    ['我喜欢这个', '我不喜欢这个'],
    ['How do I enable 2FA?', 'How do I disable 2FA?'],
    ['What does useEffect do?', 'What does useMemo do?'],
    ['Who is Obama?', 'Who is Trump?'],
    ['email alice@example.com the report', 'email bob@example.com the report'],
    ['what does "hello" mean', 'what does "goodbye" mean'],
    ['三个苹果多少钱', '四个苹果多少钱'],
    ['price for 5 kg of rice', 'price for 5 lb of rice'],
  ])('vetoes %s / %s', (a, b) => {
    expect(veto(a, b)).toBeDefined();
    expect(veto(b, a)).toBeDefined();
  });

  test.each([
    ['How do I reset my password?', 'how do i reset my password'],
    ['What is the capital of France?', 'what is the capital of france'],
    ['如何重置我的密码？', '如何重置我的密码'],
    ['Can you explain recursion simply?', 'can you explain recursion simply'],
    ['Tell me about Paris', 'tell me about paris'],
    ['I dont know how to cook rice', "I don't know how to cook rice"],
    ['这个不错', '这个挺不错'],
    [
      'What are the benefits of drinking green tea?',
      'What are the benefits of drinking green tea every day?',
    ],
  ])('allows %s / %s', (a, b) => {
    expect(veto(a, b)).toBeUndefined();
  });

  test('each guard can be used on its own', () => {
    expect(numbersGuard('1 apple', '2 apples')).toBe('numbers differ');
    expect(negationGuard('do it', "don't do it")).toBe('negation differs');
    expect(antonymGuard('scroll up', 'scroll down')).toMatch(/up/);
    expect(identifierGuard('run npm test', 'run npm_test')).toBeDefined();
    expect(numbersGuard('1 apple', '1 apple')).toBeUndefined();
  });

  test('an empty guard list allows everything', () => {
    expect(vetoReason([], 'turn on', 'turn off')).toBeUndefined();
  });
});

describe('wordOrderGuard', () => {
  test('vetoes swapped roles in long sentences but lets short questions reorder', () => {
    expect(
      veto(
        'In 2005 the Swedish club Kalmar signed the striker after he left the Serbian club Cacak for a fee',
        'In 2005 the Serbian club Cacak signed the striker after he left the Swedish club Kalmar for a fee',
      ),
    ).toBe('word order differs');
    expect(veto('what is the capital of france', 'capital of france what is the')).toBeUndefined();
  });
});
