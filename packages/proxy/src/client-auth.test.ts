import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createClientAuth } from './client-auth.js';
import { ask, type ProxyFixture, startFixture } from './proxy-fixture.test.helper.js';

const upstreamKey = 'sk-upstream-planted-9Xq2Lm';
const keys = ['client-key-alpha-123', 'client-key-bravo-456'] as const;

describe('createClientAuth', () => {
  const keyed = createClientAuth({
    upstreamKey,
    clientKeys: keys,
    sharedCache: false,
    tenantSecret: undefined,
  });

  test('with an upstream key, a client key is required and the upstream gets the proxy key', () => {
    const ok = keyed(new Headers({ authorization: `Bearer ${keys[0]}` }));
    expect(ok).toMatchObject({ ok: true, upstreamAuthorization: `Bearer ${upstreamKey}` });
    expect(keyed(new Headers())).toMatchObject({ ok: false });
    expect(keyed(new Headers({ authorization: 'Bearer wrong-key' }))).toMatchObject({ ok: false });
    expect(keyed(new Headers({ authorization: upstreamKey }))).toMatchObject({ ok: false });
    expect(keyed(new Headers({ authorization: `Bearer ${upstreamKey}` }))).toMatchObject({
      ok: false,
    });
  });

  test('each key is its own tenant: a keyed hash, never the key', () => {
    const a = keyed(new Headers({ authorization: `Bearer ${keys[0]}` }));
    const b = keyed(new Headers({ authorization: `bearer ${keys[1]}` }));
    if (!a.ok || !b.ok) throw new Error('both keys are valid');
    expect(a.tenant).toMatch(/^key:[0-9a-f]{32}$/);
    expect(a.tenant).not.toBe(b.tenant);
    expect(a.tenant).not.toContain(keys[0]);
    const secretA = createClientAuth({
      upstreamKey,
      clientKeys: keys,
      sharedCache: false,
      tenantSecret: 'deployment-secret-1',
    })(new Headers({ authorization: `Bearer ${keys[0]}` }));
    expect(secretA.ok && secretA.tenant).not.toBe(a.tenant);
  });

  test('shared cache: one tenant for every key', () => {
    const shared = createClientAuth({
      upstreamKey,
      clientKeys: keys,
      sharedCache: true,
      tenantSecret: undefined,
    });
    for (const key of keys) {
      expect(shared(new Headers({ authorization: `Bearer ${key}` }))).toMatchObject({
        ok: true,
        tenant: undefined,
      });
    }
  });

  test("without an upstream key, the client's own key goes upstream and names its tenant", () => {
    const open = createClientAuth({
      upstreamKey: undefined,
      clientKeys: [],
      sharedCache: false,
      tenantSecret: undefined,
    });
    const a = open(new Headers({ authorization: 'Bearer sk-user-a' }));
    const b = open(new Headers({ authorization: 'Bearer sk-user-b' }));
    expect(a).toMatchObject({ ok: true, upstreamAuthorization: undefined });
    expect(a.ok && b.ok && a.tenant !== b.tenant).toBe(true);
    expect(open(new Headers())).toEqual({
      ok: true,
      tenant: undefined,
      upstreamAuthorization: undefined,
    });
  });
});

describe('who may use the proxy, who shares what (over HTTP)', () => {
  let f: ProxyFixture;
  let shared: ProxyFixture;
  beforeAll(async () => {
    const options = { upstreamKey, clientKeys: [...keys] };
    f = await startFixture(options, { apiKey: upstreamKey });
    shared = await startFixture({ ...options, sharedCache: true }, { apiKey: upstreamKey });
  });
  afterAll(async () => {
    await f.close();
    await shared.close();
  });

  test('a missing or wrong client key is a 401 in OpenAI style, for chat and passthrough', async () => {
    for (const headers of [{}, { authorization: 'Bearer not-a-client-key' }] as Record<
      string,
      string
    >[]) {
      const chat = await f.chat(ask('Who am I?'), headers);
      expect(chat.status).toBe(401);
      expect(((await chat.json()) as { error: { code: string } }).error.code).toBe(
        'invalid_api_key',
      );
      expect((await fetch(`${f.url}/models`, { headers })).status).toBe(401);
    }
    await expect(
      f
        .openai('not-a-client-key')
        .chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 401 });
    expect(f.mock.requests.total).toBe(0);
  });

  test('the upstream sees only the proxy key; the client key never leaves the proxy', async () => {
    const openai = f.openai(keys[0]);
    await openai.chat.completions.create({
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: 'Which key reaches the upstream?' }],
    });
    await openai.models.list();
    const sent = f.mock.log.map((entry) => JSON.stringify(entry.headers));
    expect(sent).toHaveLength(2);
    for (const headers of sent) {
      expect(headers).toContain(`Bearer ${upstreamKey}`);
      expect(headers).not.toContain(keys[0]);
    }
  });

  test('two client keys never share an answer by default', async () => {
    const question = ask('Tenant isolation question?');
    const a = await f.chat(question, { authorization: `Bearer ${keys[0]}` });
    const aAgain = await f.chat(question, { authorization: `Bearer ${keys[0]}` });
    const b = await f.chat(question, { authorization: `Bearer ${keys[1]}` });
    const bReworded = await f.chat(ask('tenant isolation question'), {
      authorization: `Bearer ${keys[1]}`,
    });
    expect([a, aAgain, b, bReworded].map((r) => r.headers.get('x-semcache'))).toEqual([
      'miss',
      'exact',
      'miss',
      'semantic',
    ]);
  });

  test('--shared-cache shares answers across keys', async () => {
    const question = ask('Shared cache question?');
    const a = await shared.chat(question, { authorization: `Bearer ${keys[0]}` });
    const b = await shared.chat(question, { authorization: `Bearer ${keys[1]}` });
    expect([a, b].map((r) => r.headers.get('x-semcache'))).toEqual(['miss', 'exact']);
    expect(shared.mock.requests.chat).toBe(1);
  });
});
