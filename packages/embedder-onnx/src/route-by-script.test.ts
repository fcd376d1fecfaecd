import { describe, expect, test } from 'vitest';
import { routeByScript } from './route-by-script.js';

describe('routeByScript', () => {
  test.each([
    ['如何重置我的密码？', 'zh'],
    ['怎么重置 password？', 'zh'],
    ['東京', 'zh'],
    ['How do I reset my password?', 'en'],
    ['Ünïcödé café — naïve', 'en'],
    ['パスワードをリセットする方法', 'en'],
    ['東京の天気はどうですか', 'en'],
    ['비밀번호를 재설정하는 방법', 'en'],
    ['Как сбросить пароль?', 'en'],
    ['？！，。', 'en'],
    ['', 'en'],
  ])('%s → %s', (text, model) => {
    expect(routeByScript(text)).toBe(model);
  });
});
