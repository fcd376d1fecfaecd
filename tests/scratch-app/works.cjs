// From CommonJS: core's cache in memory and on Redis, the mock server, and the proxy in front of it.
const { createSemanticCache } = require('@semcache/core');
const { startMockOpenAI } = require('@semcache/mock-openai');
const { startProxy } = require('@semcache/proxy');
const { RedisStore } = require('@semcache/redis');
const { startRedisServer } = require('@semcache/redis/testing');

async function main() {
  const request = {
    model: { provider: 'test', id: 'm' },
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'What is the capital of France?' }] },
    ],
  };
  const reworded = {
    ...request,
    messages: [
      { role: 'user', content: [{ type: 'text', text: "What's the capital of France?" }] },
    ],
  };
  const compute = async () => ({ value: 'Paris', finishReason: 'stop' });
  const result = {};
  const memory = createSemanticCache();
  result.memory = [];
  for (const r of [request, request, reworded])
    result.memory.push((await memory.getOrCompute(r, compute)).kind);
  const redis = await startRedisServer();
  try {
    const store = new RedisStore({ client: redis.client() });
    const shared = createSemanticCache({ store });
    result.redis = [];
    for (const r of [request, request, reworded])
      result.redis.push((await shared.getOrCompute(r, compute)).kind);
    await store.close();
  } finally {
    await redis.stop();
  }
  const mock = await startMockOpenAI();
  const proxy = await startProxy({
    upstream: mock.url,
    port: 0,
    host: '127.0.0.1',
    upstreamKey: 'k',
    clientKeys: ['c'],
  });
  result.proxy = [];
  for (let i = 0; i < 2; i++) {
    const response = await fetch(`${proxy.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer c' },
      body: JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'Hi there' }] }),
    });
    await response.json();
    result.proxy.push(response.headers.get('x-semcache'));
  }
  await proxy.close();
  await mock.close();
  result.upstreamCalls = mock.requests.chat;
  console.log(JSON.stringify(result));
}
main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
